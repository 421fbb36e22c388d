// kubectl's connection flags, side by side with the real kubectl: both talk to the same logging API server (https
// with a certificate made here, so TLS flags matter), and what each sent — token, impersonation headers, client
// certificate — and whether it got through must agree.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMisbehavingServer, MisbehavingServer, LoggedRequest } from '../support/misbehaving-server.js';
import { runBinaryAsync } from './run-binary.js';

const dir = mkdtempSync(join(tmpdir(), 'vd-flags-'));
const home = mkdtempSync(join(tmpdir(), 'vd-flags-home-'));
const file = (name: string) => join(dir, name);

/** Asynchronous, so the test worker keeps answering vitest while keys are made. */
async function openssl(...args: string[]): Promise<void> {
  await promisify(execFile)('openssl', args, { cwd: dir }).catch((err) => { throw new Error(`openssl ${args.join(' ')}: ${err.stderr}`); });
}

/** A CA, a server certificate valid only for the name volume-doctor.test (not 127.0.0.1), and a client certificate CN=jane. */
async function makeCertificates(): Promise<void> {
  await openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '2', '-subj', '/CN=test-ca');
  writeFileSync(file('server.ext'), 'subjectAltName=DNS:volume-doctor.test\n');
  await openssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=volume-doctor.test');
  await openssl('x509', '-req', '-in', 'server.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.crt', '-days', '2', '-extfile', 'server.ext');
  await openssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'jane.key', '-out', 'jane.csr', '-subj', '/CN=jane/O=dev');
  await openssl('x509', '-req', '-in', 'jane.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'jane.crt', '-days', '2');
}

let server: MisbehavingServer;
const closedPort = 'https://127.0.0.1:1';

beforeAll(async () => {
  await makeCertificates();
  server = await startMisbehavingServer({}, undefined, { key: readFileSync(file('server.key'), 'utf8'), cert: readFileSync(file('server.crt'), 'utf8'), ca: readFileSync(file('ca.crt'), 'utf8') });
  const caData = readFileSync(file('ca.crt')).toString('base64');
  writeFileSync(file('kubeconfig'), JSON.stringify({
    apiVersion: 'v1', kind: 'Config', 'current-context': 'main',
    clusters: [
      // Right port, but the certificate does not name 127.0.0.1: only tls-server-name makes it verify.
      { name: 'named', cluster: { server: server.url, 'certificate-authority-data': caData, 'tls-server-name': 'volume-doctor.test' } },
      { name: 'unnamed', cluster: { server: server.url, 'certificate-authority-data': caData } },
      { name: 'closed', cluster: { server: closedPort, 'insecure-skip-tls-verify': true } },
    ],
    users: [
      { name: 'tok', user: { token: 'token-from-kubeconfig' } },
      { name: 'other', user: { token: 'token-of-other' } },
      { name: 'impersonating', user: { token: 't', as: 'bob', 'as-groups': ['g0'] } },
      { name: 'nobody', user: {} },
      { name: 'certdata', user: { 'client-certificate-data': readFileSync(file('jane.crt')).toString('base64'), 'client-key-data': readFileSync(file('jane.key')).toString('base64') } },
    ],
    contexts: [
      { name: 'main', context: { cluster: 'named', user: 'tok', namespace: 'default' } },
      { name: 'closed', context: { cluster: 'closed', user: 'tok' } },
      { name: 'imp', context: { cluster: 'named', user: 'impersonating' } },
      { name: 'certs', context: { cluster: 'named', user: 'certdata' } },
    ],
  }));
}, 60_000);
afterAll(async () => { await server?.close(); });

interface Seen {
  ok: boolean;
  authorization?: string;
  impersonate: Record<string, string | undefined>;
  clientCN?: string;
}

const seen = (ok: boolean, requests: LoggedRequest[]): Seen => {
  const r = requests[0];
  return {
    ok,
    authorization: r?.headers.authorization,
    impersonate: Object.fromEntries(Object.entries(r?.headers ?? {}).filter(([k]) => k.startsWith('impersonate-')).map(([k, v]) => [k, String(v)])),
    clientCN: r?.clientCN,
  };
};

async function kubectl(flags: string[]): Promise<Seen> {
  server.requests.length = 0;
  const r = await promisify(execFile)('kubectl', ['--kubeconfig', file('kubeconfig'), ...flags, 'get', '--raw', '/version'], { env: { PATH: process.env.PATH, HOME: home } }).then(() => true, () => false);
  return seen(r, [...server.requests]);
}

async function ours(flags: string[]): Promise<Seen & { stderr: string }> {
  server.requests.length = 0;
  const r = await runBinaryAsync(['diagnose', '-A', '-o', 'json', '--kubeconfig', file('kubeconfig'), '--request-timeout', '5s', ...flags], { HOME: home, KUBECONFIG: '' });
  return { ...seen(r.code === 0, [...server.requests]), stderr: r.stderr };
}

const CASES: [string, string[]][] = [
  ['the kubeconfig alone (its tls-server-name makes the certificate verify)', []],
  ['--token replaces the kubeconfig token', ['--token', 'token-from-flag']],
  ['--user picks another user', ['--user', 'other']],
  ['--cluster picks a cluster whose certificate does not name 127.0.0.1: refused', ['--cluster', 'unnamed']],
  ['--cluster with --tls-server-name', ['--cluster', 'unnamed', '--tls-server-name', 'volume-doctor.test']],
  ['--server clears the kubeconfig tls-server-name: refused', ['--context', 'closed', '--server', 'SERVER', '--certificate-authority', 'CA']],
  ['--server with --tls-server-name and --certificate-authority', ['--context', 'closed', '--server', 'SERVER', '--certificate-authority', 'CA', '--tls-server-name', 'volume-doctor.test']],
  ['--insecure-skip-tls-verify replaces the kubeconfig CA', ['--cluster', 'unnamed', '--insecure-skip-tls-verify']],
  ['--as, repeated --as-group and --as-uid', ['--as', 'alice', '--as-group', 'g1', '--as-group', 'g2', '--as-uid', '42']],
  ['--as keeps the user entry\'s as-groups', ['--context', 'imp', '--as', 'alice']],
  ['--as-group replaces the user entry\'s as-groups', ['--context', 'imp', '--as-group', 'g9']],
  ['the user entry\'s impersonation alone', ['--context', 'imp']],
  ['--client-certificate and --client-key', ['--user', 'nobody', '--client-certificate', 'JANE_CRT', '--client-key', 'JANE_KEY']],
  ['a client certificate from the kubeconfig', ['--context', 'certs']],
];

describe('connection flags: the same requests as kubectl', () => {
  for (const [name, template] of CASES) {
    it(name, async () => {
      const flags = template.map((f) => ({ SERVER: server.url, CA: file('ca.crt'), JANE_CRT: file('jane.crt'), JANE_KEY: file('jane.key') } as Record<string, string>)[f] ?? f);
      const theirs = await kubectl(flags);
      const { stderr, ...mine } = await ours(flags);
      expect(mine, stderr).toEqual(theirs);
    }, 30_000);
  }

  it('the cases cover both outcomes and every credential', async () => {
    const t = await kubectl(['--token', 'token-from-flag']);
    expect(t).toMatchObject({ ok: true, authorization: 'Bearer token-from-flag' });
    expect((await kubectl(['--cluster', 'unnamed'])).ok).toBe(false);
    expect(await kubectl(['--as', 'alice', '--as-group', 'g1', '--as-group', 'g2', '--as-uid', '42'])).toMatchObject({ impersonate: { 'impersonate-user': 'alice', 'impersonate-group': 'g1, g2', 'impersonate-uid': '42' } });
    expect((await kubectl(['--user', 'nobody', '--client-certificate', file('jane.crt'), '--client-key', file('jane.key')])).clientCN).toBe('jane');
  }, 30_000);
});

describe('connection flags that kubectl refuses are refused', () => {
  const kubectlFails = (flags: string[]) => promisify(execFile)('kubectl', ['--kubeconfig', file('kubeconfig'), ...flags, 'get', '--raw', '/version'], { env: { PATH: process.env.PATH, HOME: home } }).then(() => false, () => true);
  it.each([
    ['--as-group without --as', ['--as-group', 'g1'], 'requesting uid, groups or user-extra for tok without impersonating a user'],
    ['--cluster that does not exist', ['--cluster', 'nope'], 'cluster "nope"'],
    ['--user that does not exist', ['--user', 'nope'], 'user "nope"'],
    ['--client-certificate over client-certificate-data', ['--context', 'certs', '--client-certificate', '/nonexistent'], 'client-cert-data and client-cert are both specified'],
    ['--certificate-authority with --insecure-skip-tls-verify', ['--certificate-authority', '/etc/hosts', '--insecure-skip-tls-verify'], 'specifying a root certificates file with the insecure flag is not allowed'],
  ])('%s', async (_name, flags, message) => {
    expect(await kubectlFails(flags)).toBe(true);
    server.requests.length = 0;
    const r = await runBinaryAsync(['diagnose', '-A', '--kubeconfig', file('kubeconfig'), ...flags], { HOME: home, KUBECONFIG: '' });
    expect(r.code).toBe(3);
    expect(r.stderr).toContain(message);
    expect(server.requests).toEqual([]);
  }, 30_000);

  it('--server alone, with no kubeconfig anywhere, is enough (as in kubectl)', async () => {
    server.requests.length = 0;
    const r = await runBinaryAsync(['diagnose', '-A', '-o', 'json', '--server', server.url, '--insecure-skip-tls-verify', '--token', 'only-flags'], { HOME: home, KUBECONFIG: '' });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(server.requests[0].headers.authorization).toBe('Bearer only-flags');
  }, 30_000);

  it('--server that is not a URL says so', async () => {
    const r = await runBinaryAsync(['diagnose', '-A', '--kubeconfig', file('kubeconfig'), '--server', '127.0.0.1:6443'], { HOME: home });
    expect(r.code).toBe(3);
    expect(r.stderr).toBe('error: --server "127.0.0.1:6443" is not a URL (expected https://HOST[:PORT])\n');
  }, 30_000);
});

describe('-v: requests logged to stderr as kubectl logs them', () => {
  it('-v=6: one line per request with verb, URL, status and time; stdout unchanged', async () => {
    server.requests.length = 0;
    const quiet = await runBinaryAsync(['diagnose', '-A', '-o', 'json', '--kubeconfig', file('kubeconfig'), '--now', '2026-11-26T00:00:00Z'], { HOME: home });
    const count = server.requests.length;
    server.requests.length = 0;
    const r = await runBinaryAsync(['diagnose', '-A', '-o', 'json', '--kubeconfig', file('kubeconfig'), '--now', '2026-11-26T00:00:00Z', '-v=6'], { HOME: home });
    expect(r.stdout).toBe(quiet.stdout);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(count);
    expect(lines[0]).toMatch(new RegExp(`^I\\d{4} \\d\\d:\\d\\d:\\d\\d\\.\\d{6} +\\d+ kube-client\\.ts\\] "Response" verb="GET" url="${server.url}/version" status="200 OK" milliseconds=\\d+$`));
    expect(lines.some((l) => l.includes(`url="${server.url}/api/v1/nodes?limit=500"`))).toBe(true);
  }, 30_000);

  it('--v=7 adds request headers with the credential masked; 8 adds bodies, escaped', async () => {
    const r7 = await runBinaryAsync(['diagnose', '-A', '--kubeconfig', file('kubeconfig'), '--v=7', '--as', 'alice'], { HOME: home });
    expect(r7.stderr).toContain('\tAuthorization: Bearer <masked>\n');
    expect(r7.stderr).toContain('\tImpersonate-User: alice\n');
    expect(r7.stderr).not.toContain('token-from-kubeconfig');
    expect(r7.stderr).toMatch(/"Response" status="200 OK" milliseconds=\d+/);
    expect(r7.stderr).not.toContain('Response Body');
    const r8 = await runBinaryAsync(['diagnose', '-A', '--kubeconfig', file('kubeconfig'), '-v', '8'], { HOME: home });
    expect(r8.stderr).toContain('"Response Body" body="{\\"major\\":\\"1\\"');
    expect(r8.stderr).toContain('\tContent-Type: application/json\n');
    expect(r8.stderr).not.toContain('token-from-kubeconfig');
  }, 30_000);

  it('a level that is not a number is a usage error', async () => {
    const r = await runBinaryAsync(['diagnose', '-A', '-v=high'], { HOME: home });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('invalid -v "high"');
  });
});
