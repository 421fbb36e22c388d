// What a user sees when the API server, the kubeconfig or the credential plugin misbehaves: a bounded run,
// exit 3 and one clear line, never a stack trace.
import { afterEach, describe, expect, it } from 'vitest';
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { MisbehavingServer, Override, startMisbehavingServer, status } from '../support/misbehaving-server.js';
import { runBinaryAsync, unwrapped } from './run-binary.js';

let server: MisbehavingServer | undefined;
afterEach(async () => { await server?.close(); server = undefined; });

const tmp = () => mkdtempSync(join(tmpdir(), 'vd-faults-'));
const noStack = (text: string) => expect(text).not.toContain('    at ');

async function diagnose(override: Override | undefined, args: string[] = [], env: Record<string, string> = {}) {
  server = await startMisbehavingServer({ '/api/v1/nodes': [{ apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1', uid: 'u1' } }] }, override);
  const started = Date.now();
  const r = await runBinaryAsync(['diagnose', '-A', '--kubeconfig', server.kubeconfig, ...args], env);
  noStack(r.stderr);
  expect(r.timedOut).toBe(false);
  return { ...r, seconds: (Date.now() - started) / 1000 };
}

function kubeconfig(dir: string, server: string, user: string[] = ['    token: t']): string {
  const file = join(dir, 'kubeconfig');
  writeFileSync(file, [
    'apiVersion: v1', 'kind: Config', 'current-context: prod',
    'clusters:', '- name: prod', '  cluster:', `    server: ${JSON.stringify(server)}`, '    insecure-skip-tls-verify: true',
    'contexts:', '- name: prod', '  context:', '    cluster: prod', '    user: u',
    'users:', '- name: u', '  user:', ...user,
  ].join('\n'));
  return file;
}

describe('a slow or endless API server is cut off', () => {
  it('a server dripping one byte at a time fails after --request-timeout with one line', async () => {
    const r = await diagnose((req) => (req.path === '/api/v1/nodes' ? { body: JSON.stringify({ items: [], pad: 'x'.repeat(400) }), dripMs: 100 } : undefined), ['--request-timeout', '2s']);
    expect(r.code).toBe(3);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain('GET /api/v1/nodes timed out after 2s (--request-timeout)');
    expect(r.seconds).toBeLessThan(12);
  });

  it('a LIST that repeats its continue token ends: exit 3, no hang', async () => {
    const r = await diagnose((req) => (req.path === '/api/v1/pods' ? { body: { kind: 'PodList', metadata: { continue: 'again' }, items: [] } } : undefined));
    expect(r.code).toBe(3);
    expect(unwrapped(r.stdout) + r.stderr).toContain('repeated a continue token');
    expect(server!.requests.filter((q) => q.path === '/api/v1/pods').length).toBeLessThanOrEqual(2);
  });

  it('a LIST that never ends hits the read deadline (10 × --request-timeout), which names the flag to raise', async () => {
    let n = 0;
    const r = await diagnose(async (req) => {
      if (req.path !== '/api/v1/pods') return undefined;
      await new Promise((res) => setTimeout(res, 250));
      return { body: { kind: 'PodList', metadata: { continue: `page-${n++}` }, items: [] } };
    }, ['--request-timeout', '1s']);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('error: reading the cluster took longer than 10s (10 × --request-timeout 1s); raise --request-timeout for a slow or large cluster');
    expect(r.seconds).toBeGreaterThanOrEqual(10);
    expect(r.seconds).toBeLessThan(20);
  });
});

describe('a busy API server', () => {
  it('429 then 200: the GET is retried after Retry-After, the run succeeds, and stderr says so', async () => {
    let first = true;
    const r = await diagnose((req) => {
      if (req.path !== '/api/v1/nodes' || !first) return undefined;
      first = false;
      return { ...status(429, 'TooManyRequests', 'too many requests'), headers: { 'Retry-After': '1' } };
    });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('No stuck volumes found');
    expect(r.stderr).toBe('warning: GET /api/v1/nodes: the API server answered 429 Too Many Requests; retrying in 1s (1 of 3)\n');
    expect(server!.requests.filter((q) => q.path === '/api/v1/nodes')).toHaveLength(2);
    expect(server!.writes()).toEqual([]);
  });
});

describe('answers that are not JSON', () => {
  it('HTML for /version: no stack, no "unexpected failure"', async () => {
    const r = await diagnose((req) => (req.path === '/version' ? { body: '<!DOCTYPE html><html><body>Sign in</body></html>', headers: { 'Content-Type': 'text/html' } } : undefined));
    expect(r.stderr).not.toContain('unexpected failure');
    // The server version decides what fix may plan: unknown makes the run incomplete.
    expect(r.code).toBe(3);
    expect(unwrapped(r.stdout) + r.stderr).toContain('/version');
    expect(r.stderr).not.toContain('    at ');
  });

  it('an empty body for a LIST: exit 3, never "no objects"', async () => {
    const r = await diagnose((req) => (req.path === '/api/v1/nodes' ? { status: 200, body: '' } : undefined));
    expect(r.code).toBe(3);
    expect(r.stdout).not.toContain('No stuck volumes found');
    expect(unwrapped(r.stdout) + r.stderr).toContain('/api/v1/nodes');
  });
});

describe('kubeconfig problems', () => {
  it('no kubeconfig at all: exit 3 and where it looked', async () => {
    const home = tmp();
    const r = await runBinaryAsync(['diagnose', '-A'], { HOME: home, KUBECONFIG: '', KUBERNETES_SERVICE_HOST: '' });
    noStack(r.stderr);
    expect(r.code).toBe(3);
    expect(r.stderr).toBe(`error: no kubeconfig found: looked at ~/.kube/config (${join(home, '.kube', 'config')}); pass --kubeconfig or set KUBECONFIG\n`);
  });

  it('KUBECONFIG naming only missing files: exit 3 and the files', async () => {
    const dir = tmp();
    const files = [join(dir, 'a'), join(dir, 'b')];
    const r = await runBinaryAsync(['diagnose', '-A'], { HOME: dir, KUBECONFIG: files.join(delimiter), KUBERNETES_SERVICE_HOST: '' });
    expect(r.code).toBe(3);
    expect(r.stderr).toBe(`error: no kubeconfig found: looked at $KUBECONFIG (${files.join(', ')}); pass --kubeconfig or set KUBECONFIG\n`);
  });

  it('a server that is not a URL: exit 3 and the cluster named', async () => {
    const r = await runBinaryAsync(['diagnose', '-A', '--kubeconfig', kubeconfig(tmp(), 'kube.example.com')]);
    noStack(r.stderr);
    expect(r.code).toBe(3);
    expect(r.stderr).toBe('error: the kubeconfig\'s cluster "prod" has server "kube.example.com" which is not a URL (expected https://HOST[:PORT])\n');
  });

  it('a credential plugin that never returns is killed after --request-timeout: exit 3, and the run ends', async () => {
    server = await startMisbehavingServer();
    const dir = tmp();
    const plugin = join(dir, 'hang.sh');
    writeFileSync(plugin, '#!/bin/sh\nsleep 600 &\nwait\n');
    chmodSync(plugin, 0o755);
    const file = kubeconfig(dir, server.url, ['    exec:', '      apiVersion: client.authentication.k8s.io/v1', `      command: ${plugin}`, '      interactiveMode: Never']);
    const started = Date.now();
    const r = await runBinaryAsync(['diagnose', '-A', '--kubeconfig', file, '--request-timeout', '2s']);
    noStack(r.stderr);
    expect(r.timedOut).toBe(false);
    expect(r.code).toBe(3);
    expect(r.stderr).toBe(`error: the credential plugin "${plugin}" of user "u" did not finish within 2s; check that it works on its own, or raise --request-timeout\n`);
    expect((Date.now() - started) / 1000).toBeLessThan(12);
    expect(server.requests).toEqual([]);
  });
});
