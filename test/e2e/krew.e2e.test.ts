// The krew-installed single executable (dist/package, from npm run package) on the live cluster, through the
// real kubectl, with no node on PATH.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cluster, Finding } from './helpers.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const OUT_OF_SERVICE = 'node.kubernetes.io/out-of-service=nodeshutdown:NoSchedule';

describe('the plugin installed by krew, on the live cluster', () => {
  let path = '';
  let node = '';
  const kubectl = (args: string[]) => execFileSync('kubectl', args, { env: { ...process.env, KUBECONFIG: cluster().kubeconfig }, encoding: 'utf8' });
  const installed = (args: string[]) =>
    spawnSync('kubectl', ['volume-doctor', ...args], { env: { PATH: path, HOME: process.env.HOME ?? '', KUBECONFIG: cluster().kubeconfig }, encoding: 'utf8', timeout: 120_000 });

  beforeAll(() => {
    const version = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
    // CI packages before the e2e run; by hand, this builds the archives first (minutes, once per change).
    if (!existsSync(join(ROOT, 'dist/package', `kubectl-volume_doctor-v${version}-linux-amd64.tar.gz`))) {
      execFileSync('npm', ['run', 'package'], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
    }
    const dir = mkdtempSync(join(tmpdir(), 'vd-krew-e2e-'));
    path = execFileSync('bash', [join(ROOT, 'hack/package/krew-check.sh'), 'install', dir], { encoding: 'utf8' }).trim().split('\n').pop()!;
    node = cluster().nodes[0];
    // A taint left on a Ready node: a warning the plugin must find, harmless to the other tests (NoSchedule).
    kubectl(['taint', 'node', node, OUT_OF_SERVICE, '--overwrite']);
  }, 20 * 60_000);

  afterAll(() => {
    if (node) kubectl(['taint', 'node', node, 'node.kubernetes.io/out-of-service-']);
  });

  it('runs with no node on PATH', () => {
    expect(spawnSync('sh', ['-c', 'command -v node'], { env: { PATH: path } }).status).not.toBe(0);
    const r = installed(['version']);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/^volume-doctor v\S+ \(node v22\./);
  });

  it('diagnose -A reads the live cluster and reports the taint left on a Ready node', () => {
    const r = installed(['diagnose', '-A', '-o', 'json']);
    expect(r.status, r.stderr).toBe(1);
    const findings = (JSON.parse(r.stdout) as { findings: Finding[] }).findings;
    expect(findings).toContainEqual(expect.objectContaining({ check: 'out-of-service-taint-left', subject: { kind: 'Node', name: node } }));
    const table = installed(['diagnose', '-A']);
    expect(table.status).toBe(1);
    expect(table.stdout).toContain('out-of-service-taint-left');
    expect(table.stdout).toContain(node);
  });
});
