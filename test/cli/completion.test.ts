// Completion as a user gets it: through the real kubectl (`kubectl __complete volume-doctor ...`, which runs
// bin/kubectl_complete-volume_doctor), and through the bash script for the standalone binary.
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CHECKS } from '../../src/checks/index.js';
import { startMisbehavingServer, MisbehavingServer } from '../support/misbehaving-server.js';
import { node, pod } from '../fixtures/builders.js';
import { ROOT } from './run-binary.js';
// The built program, as the binary runs it (its version is read next to dist/).
import { buildProgram } from '../../dist/src/cli/main.js';
import { complete } from '../../dist/src/cli/completion.js';

const home = mkdtempSync(join(tmpdir(), 'vd-complete-'));
const kubeconfig = join(home, 'kubeconfig');
writeFileSync(kubeconfig, JSON.stringify({
  apiVersion: 'v1', kind: 'Config', 'current-context': 'prod',
  clusters: [{ name: 'c', cluster: { server: 'https://127.0.0.1:1' } }],
  contexts: [{ name: 'prod', context: { cluster: 'c' } }, { name: 'staging', context: { cluster: 'c' } }],
}));
const env = (extra: Record<string, string> = {}) => ({ PATH: `${join(ROOT, 'bin')}:${process.env.PATH}`, HOME: home, KUBECONFIG: kubeconfig, ...extra });

/** `kubectl __complete volume-doctor ...words`: the candidates (value only) and the directive. */
function kubectlComplete(words: string[], extra: Record<string, string> = {}): Promise<{ values: string[]; lines: string[]; directive: number; ms: number }> {
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn('kubectl', ['__complete', 'volume-doctor', ...words], { env: env(extra) });
    let out = '';
    child.stdout.on('data', (d) => { out += d; });
    child.on('close', () => {
      const lines = out.split('\n').filter(Boolean);
      const directive = Number(lines.pop()!.slice(1));
      resolve({ values: lines.map((l) => l.split('\t')[0]), lines, directive, ms: Date.now() - started });
    });
  });
}

describe('kubectl __complete volume-doctor, offline', () => {
  it('subcommands', async () => {
    const r = await kubectlComplete(['']);
    expect(r.values).toEqual(['diagnose', 'fix', 'explain', 'version', 'completion']);
    expect(r.lines[0]).toMatch(/^diagnose\t\S/);
    expect(r.directive).toBe(4);
    expect((await kubectlComplete(['di'])).values).toEqual(['diagnose']);
  });

  it('check ids after explain and in --only, including after a comma', async () => {
    expect((await kubectlComplete(['explain', ''])).values).toEqual(CHECKS.map((c) => c.id));
    expect((await kubectlComplete(['explain', 'multi'])).values).toEqual(['multi-attach']);
    expect((await kubectlComplete(['fix', '--only', 'stale'])).values).toEqual(['stale-volume-attachment']);
    expect((await kubectlComplete(['fix', '--only=multi-attach,stale'])).values).toEqual(['--only=multi-attach,stale-volume-attachment']);
    expect((await kubectlComplete(['explain', 'multi-attach', ''])).values).toEqual([]);
  });

  it('-o values differ by command; --fail-on, --dry-run= and the shell of completion', async () => {
    expect((await kubectlComplete(['diagnose', '-o', ''])).values).toEqual(['table', 'wide', 'json', 'yaml']);
    expect((await kubectlComplete(['fix', '-o', ''])).values).toEqual(['table', 'json', 'yaml']);
    expect((await kubectlComplete(['diagnose', '--output=y'])).values).toEqual(['--output=yaml']);
    expect((await kubectlComplete(['diagnose', '-A', '--fail-on', 'c'])).values).toEqual(['critical']);
    expect((await kubectlComplete(['fix', '--dry-run='])).values).toEqual(['--dry-run=client', '--dry-run=server', '--dry-run=none']);
    expect((await kubectlComplete(['completion', ''])).values).toEqual(['bash', 'zsh', 'fish']);
    expect((await kubectlComplete(['diagnose', '--color', 'a'])).values).toEqual(['auto', 'always']);
  });

  it('a bare --dry-run takes no value (it means client): the next word is the target', async () => {
    expect((await kubectlComplete(['fix', '--dry-run', 'po'])).values).toEqual(['pod/']);
  });

  it('resource types, without a space after the slash', async () => {
    const r = await kubectlComplete(['diagnose', '']);
    expect(r.values).toEqual(['pod/', 'pvc/', 'pv/', 'node/', 'volumeattachment/']);
    expect(r.directive).toBe(2 | 4);
    expect((await kubectlComplete(['fix', '-n', 'shop', 'p'])).values).toEqual(['pod/', 'pvc/', 'pv/']);
  });

  it('flags of the command, long and short', async () => {
    const r = await kubectlComplete(['diagnose', '--c']);
    expect(r.values).toEqual(expect.arrayContaining(['--context', '--cluster', '--certificate-authority', '--client-certificate', '--client-key']));
    expect(r.values.every((v) => v.startsWith('--c'))).toBe(true);
    expect((await kubectlComplete(['fix', '--confirm'])).values).toEqual(['--confirm-node-down']);
    expect((await kubectlComplete(['diagnose', '--confirm'])).values).toEqual([]);
    expect((await kubectlComplete(['diagnose', '-'])).values).toEqual(expect.arrayContaining(['-n', '-A', '-o', '-l', '--namespace']));
  });

  it('contexts from the kubeconfig (no network), the one in --kubeconfig when given', async () => {
    const r = await kubectlComplete(['diagnose', '--context', '']);
    expect(r.values).toEqual(['prod', 'staging']);
    expect(r.lines[0]).toBe('prod\tcluster c (current)');
    expect((await kubectlComplete(['diagnose', '--context', 's'])).values).toEqual(['staging']);
    const other = join(home, 'other');
    writeFileSync(other, JSON.stringify({ apiVersion: 'v1', kind: 'Config', clusters: [{ name: 'c', cluster: { server: 'https://x' } }], contexts: [{ name: 'elsewhere', context: { cluster: 'c' } }] }));
    expect((await kubectlComplete(['diagnose', '--kubeconfig', other, '--context', ''])).values).toEqual(['elsewhere']);
  });

  it('file flags leave completion to the shell', async () => {
    expect((await kubectlComplete(['diagnose', '--from-file', ''])).directive).toBe(0);
    expect((await kubectlComplete(['diagnose', '--kubeconfig', ''])).directive).toBe(0);
  });

  it('an unreachable cluster gives no names, quickly, and no error', async () => {
    const r = await kubectlComplete(['diagnose', 'pod/']);
    expect(r.values).toEqual([]);
    expect(r.directive).toBe(4);
  });
});

describe('names from the API server the command line points at', () => {
  let server: MisbehavingServer | undefined;
  afterEach(async () => { await server?.close(); server = undefined; });

  const notReady = () => {
    const n = node('worker-3');
    n.status.conditions = n.status.conditions.map((c: { type: string }) => (c.type === 'Ready' ? { ...c, status: 'Unknown' } : c));
    return n;
  };

  it('pods and claims of the namespace (-n, else the context\'s), NotReady nodes after --confirm-node-down, namespaces after -n', async () => {
    server = await startMisbehavingServer({
      '/api/v1/namespaces/shop/pods': [pod('shop', 'web-0'), pod('shop', 'web-1')],
      '/api/v1/namespaces/default/pods': [pod('default', 'other')],
      '/api/v1/nodes': [node('worker-1'), notReady()],
      '/api/v1/namespaces': [{ metadata: { name: 'shop' } }, { metadata: { name: 'default' } }, { metadata: { name: 'bad\nname' } }],
    });
    const k = ['--kubeconfig', server.kubeconfig];
    expect((await kubectlComplete(['diagnose', ...k, '-n', 'shop', 'pod/'])).values).toEqual(['pod/web-0', 'pod/web-1']);
    expect((await kubectlComplete(['diagnose', ...k, '-nshop', 'pod', 'web-'])).values).toEqual(['web-0', 'web-1']);
    expect((await kubectlComplete(['diagnose', ...k, 'pod/'])).values).toEqual(['pod/other']);
    expect((await kubectlComplete(['diagnose', ...k, 'node/'])).values).toEqual(['node/worker-1', 'node/worker-3']);
    const nodes = await kubectlComplete(['fix', ...k, '--confirm-node-down', '']);
    expect(nodes.lines).toEqual(['worker-3\tReady=Unknown']);
    // A name Kubernetes could not have made is never offered: it would break the shell's line protocol.
    expect((await kubectlComplete(['diagnose', ...k, '-n', ''])).values).toEqual(['shop', 'default']);
    // One page each (kubectl's dispatcher on some machines asks /version first to pick a kubectl).
    expect(server.requests.filter((r) => r.path !== '/version' && r.query.get('limit') !== '500').map((r) => r.url)).toEqual([]);
  }, 120_000);

  it('connection flags on the line are used: --as is sent', async () => {
    server = await startMisbehavingServer({ '/api/v1/namespaces': [{ metadata: { name: 'shop' } }] });
    expect((await kubectlComplete(['diagnose', '--kubeconfig', server.kubeconfig, '--as', 'alice', '-n', ''])).values).toEqual(['shop']);
    expect(server.requests.at(-1)!.headers['impersonate-user']).toBe('alice');
  }, 60_000);

  it('a server that does not answer costs about 2 seconds, not a hung shell', async () => {
    server = await startMisbehavingServer({}, (req) => (req.path.endsWith('/pods') ? { hang: true } : undefined));
    const program = buildProgram();
    // Loading the client library once first: its import time is not the server's.
    expect(await complete(program, ['diagnose', '--kubeconfig', server.kubeconfig, '-n', ''])).toEqual({ candidates: [], directive: 4 });
    const started = Date.now();
    expect(await complete(program, ['diagnose', '--kubeconfig', server.kubeconfig, 'pod/'])).toEqual({ candidates: [], directive: 4 });
    expect(Date.now() - started).toBeGreaterThan(1900);
    expect(Date.now() - started).toBeLessThan(4000);
    expect(server.requests.at(-1)!.path).toBe('/api/v1/namespaces/default/pods');
  }, 30_000);
});

/** Asynchronous, so the test worker keeps answering vitest while the child runs. */
function run(file: string, args: string[], extraEnv?: NodeJS.ProcessEnv): Promise<{ status: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(file, args, { encoding: 'utf8', env: extraEnv ?? process.env }, (err, stdout, stderr) => resolve({ status: err ? Number(err.code ?? -1) : 0, stdout, stderr }));
  });
}

describe('completion scripts for the standalone binary', () => {
  it('bash: completes through __complete, including after --flag=', async () => {
    const script = (await run(process.execPath, [join(ROOT, 'bin/kubectl-volume_doctor'), 'completion', 'bash'])).stdout;
    const file = join(home, 'completion.bash');
    writeFileSync(file, script);
    const complete = async (line: string) => {
      const r = await run('bash', ['-c', `source ${file}; COMP_LINE="$1"; COMP_POINT=\${#COMP_LINE}; _kubectl_volume_doctor; printf '%s\\n' "\${COMPREPLY[@]}"`, 'bash', line], env());
      return r.stdout.split('\n').filter(Boolean);
    };
    expect(await complete('kubectl-volume_doctor ex')).toEqual(['explain']);
    expect(await complete('kubectl-volume_doctor explain multi')).toEqual(['multi-attach']);
    expect(await complete('kubectl-volume_doctor diagnose --output=ya')).toEqual(['yaml']);
    expect(await complete('kubectl-volume_doctor diagnose --context ')).toEqual(['prod', 'staging']);
    expect(script).toContain('complete -o default -F _kubectl_volume_doctor kubectl-volume_doctor');
  }, 60_000);

  it('zsh and fish scripts ask the same protocol; an unknown shell is a usage error', async () => {
    for (const shell of ['zsh', 'fish']) {
      const r = await run(process.execPath, [join(ROOT, 'bin/kubectl-volume_doctor'), 'completion', shell]);
      expect(r.status).toBe(0);
      expect(r.stdout).toContain('__complete');
      expect(r.stdout).toContain('kubectl-volume_doctor');
    }
    const bad = await run(process.execPath, [join(ROOT, 'bin/kubectl-volume_doctor'), 'completion', 'tcsh']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toBe('error: unsupported shell "tcsh": use bash, zsh or fish\n');
  });
});
