import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { EXAMPLE, runBinary, unwrapped } from './run-binary.js';
import { displayWidth } from '../../src/report/layout.js';
import { asList, node } from '../fixtures/builders.js';
import { clusterBase, story1, story2 } from '../fixtures/stories.js';

const made: string[] = [];
const tmp = () => {
  const dir = mkdtempSync(join(tmpdir(), 'vd-cli-'));
  made.push(dir);
  return dir;
};
afterAll(() => made.forEach((d) => rmSync(d, { recursive: true, force: true })));

describe('diagnose on a dump', () => {
  it('prints the Diagnosis JSON contract and exits 1 when findings reach --fail-on', () => {
    const r = runBinary(['diagnose', '--from-file', EXAMPLE, '-o', 'json']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('');
    const doc = JSON.parse(r.stdout);
    expect(Object.keys(doc)).toEqual(['apiVersion', 'kind', 'now', 'nowBasis', 'source', 'summary', 'incomplete', 'findings']);
    expect(doc.nowBasis).toBe('the newest heartbeat in the dump (lease kube-node-lease/worker-4 at 2026-11-24T02:59:56.000000Z)');
    expect(doc.kind).toBe('Diagnosis');
    expect(doc.source).toBe(`file:${EXAMPLE}`);
    expect(doc.incomplete).toEqual([]);
    const checks = new Set(doc.findings.map((f: { check: string }) => f.check));
    for (const id of ['multi-attach', 'stale-volume-attachment', 'terminating-pod-on-unreachable-node', 'volume-in-use-without-pod',
      'volume-attachment-stuck-deleting', 'attach-error', 'detach-error', 'out-of-service-taint-left', 'mount-failure']) {
      expect(checks, id).toContain(id);
    }
    for (const f of doc.findings) {
      expect(Object.keys(f).filter((k) => k !== 'since')).toEqual(['id', 'check', 'severity', 'subject', 'related', 'summary', 'evidence', 'explanation', 'remedies']);
    }
    expect(doc.summary.critical).toBe(doc.findings.filter((f: { severity: string }) => f.severity === 'critical').length);
    // The decoys stay quiet.
    const subjects = JSON.stringify(doc.findings.map((f: { subject: unknown; related: unknown }) => [f.subject, f.related]));
    for (const decoy of ['assets-b', 'uploads-b', 'queue-worker-0', 'blip-0', 'api-6c9d-qq7rs', 'pvc-rwx00001', 'pvc-nfscsi01']) {
      expect(subjects, decoy).not.toContain(decoy);
    }
  });

  it('prints the same data as YAML', () => {
    const json = JSON.parse(runBinary(['diagnose', '--from-file', EXAMPLE, '-o', 'json']).stdout);
    const yaml = runBinary(['diagnose', '--from-file', EXAMPLE, '-o', 'yaml']);
    expect(yaml.code).toBe(1);
    expect(yaml.stdout).toMatch(/^apiVersion: volume-doctor\/v1\nkind: Diagnosis\n/);
    expect(yaml.stdout).toContain(`summary:\n  critical: ${json.summary.critical}\n`);
  });

  it('tells each stuck pod as one story in the table, without colour when not a TTY', () => {
    const r = runBinary(['diagnose', '--from-file', EXAMPLE]);
    expect(r.code).toBe(1);
    expect(r.stdout).not.toMatch(/\u001b\[/);
    const story = r.stdout.split('\n\n').find((s) => s.includes('pod/web-7d9f6c-x2k4p -n shop cannot start'))!;
    expect(story).toContain('[multi-attach]');
    expect(story).toContain('[stale-volume-attachment]');
    expect(story).toContain('Next step:');
    expect(unwrapped(story)).toContain('kubectl taint node worker-2 node.kubernetes.io/out-of-service=nodeshutdown:NoExecute');
  });

  it('--color always keeps colour in a pipe (| less -R), never and --no-color drop it, anything else is a usage error', () => {
    expect(runBinary(['diagnose', '--from-file', EXAMPLE, '--color', 'always']).stdout).toMatch(/\u001b\[31m/);
    expect(runBinary(['diagnose', '--from-file', EXAMPLE, '--color=always'], { NO_COLOR: '1' }).stdout).toMatch(/\u001b\[/);
    expect(runBinary(['diagnose', '--from-file', EXAMPLE, '--color', 'never']).stdout).not.toMatch(/\u001b\[/);
    expect(runBinary(['fix', '--from-file', EXAMPLE, '--dry-run', '--color', 'always', '--no-color']).stdout).not.toMatch(/\u001b\[/);
    expect(runBinary(['fix', '--from-file', EXAMPLE, '--dry-run', '--color', 'always']).stdout).toMatch(/\u001b\[36mneeds --confirm-node-down worker-2/);
    const bad = runBinary(['diagnose', '--from-file', EXAMPLE, '--color', 'sometimes']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('invalid --color "sometimes": use auto, always or never');
  });

  it('fits 80 columns when stdout is not a terminal: diagnose, -o wide, the fix plan and explain', () => {
    for (const args of [['diagnose', '--from-file', EXAMPLE], ['diagnose', '--from-file', EXAMPLE, '-o', 'wide'], ['fix', '--from-file', EXAMPLE, '--dry-run'], ['explain'], ['explain', 'multi-attach']]) {
      const lines = runBinary(args).stdout.split('\n');
      expect(Math.max(...lines.map(displayWidth)), args.join(' ')).toBeLessThanOrEqual(80);
    }
  });

  it('shows evidence with -o wide', () => {
    const r = runBinary(['diagnose', '--from-file', EXAMPLE, '-o', 'wide']);
    expect(r.stdout).toContain('Lease last renewed');
  });

  it('focuses on one object: pod/NAME keeps only the findings about that pod', () => {
    const r = runBinary(['diagnose', 'pod/db-0', '-n', 'prod', '--from-file', EXAMPLE, '-o', 'json']);
    const doc = JSON.parse(r.stdout);
    expect(doc.findings.map((f: { check: string }) => f.check).sort()).toEqual(['longhorn-node-down-policy', 'node-down-with-volumes', 'stale-volume-attachment', 'terminating-pod-on-unreachable-node']);
    const node = JSON.parse(runBinary(['diagnose', 'node', 'worker-4', '--from-file', EXAMPLE, '-o', 'json']).stdout);
    expect(node.findings.map((f: { check: string }) => f.check)).toEqual(['out-of-service-taint-left']);
  });

  it('limits findings to -n NAMESPACE', () => {
    const doc = JSON.parse(runBinary(['diagnose', '-n', 'billing', '--from-file', EXAMPLE, '-o', 'json']).stdout);
    const namespaces = new Set(doc.findings.flatMap((f: { subject: { namespace?: string }; related: { namespace?: string }[] }) => [f.subject, ...f.related].map((r) => r.namespace).filter(Boolean)));
    expect([...namespaces]).toEqual(['billing']);
  });

  it('judges durations at --now: the same dump an hour earlier has fewer stuck states', () => {
    const early = JSON.parse(runBinary(['diagnose', '--from-file', EXAMPLE, '-o', 'json', '--now', '2026-11-24T02:40:30Z']).stdout);
    expect(early.now).toBe('2026-11-24T02:40:30.000Z');
    expect(early.findings.some((f: { check: string }) => f.check === 'terminating-pod-on-unreachable-node')).toBe(false);
  });

  it('exits 0 for a healthy dump and respects --fail-on', () => {
    const dir = tmp();
    const healthy = join(dir, 'healthy.yaml');
    writeFileSync(healthy, 'apiVersion: v1\nkind: Node\nmetadata:\n  name: n1\n  creationTimestamp: "2026-11-20T00:00:00Z"\nstatus:\n  conditions:\n  - type: Ready\n    status: "True"\n    lastTransitionTime: "2026-11-20T00:00:00Z"\n');
    const ok = runBinary(['diagnose', '--from-file', healthy]);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain('No stuck volumes found.');
    expect(runBinary(['diagnose', '--from-file', EXAMPLE, '--fail-on', 'none']).code).toBe(0);
    const taintOnly = join(dir, 'taint.json');
    writeFileSync(taintOnly, JSON.stringify(asList(clusterBase().filter((o) => o.metadata.name === 'worker-4'))));
    expect(runBinary(['diagnose', '--from-file', taintOnly, '--fail-on', 'critical']).code).toBe(0);
    expect(runBinary(['diagnose', '--from-file', taintOnly, '--fail-on', 'warning']).code).toBe(1);
  });

  it('reads a directory of JSON and YAML files and multi-document YAML', () => {
    const dir = tmp();
    writeFileSync(join(dir, 'a.json'), JSON.stringify(asList([...clusterBase(), ...story1()])));
    writeFileSync(join(dir, 'b.yaml'), story2().map((o) => JSON.stringify(o)).join('\n---\n'));
    writeFileSync(join(dir, 'notes.txt'), 'ignored');
    const doc = JSON.parse(runBinary(['diagnose', '--from-file', dir, '-o', 'json']).stdout);
    const checks = doc.findings.map((f: { check: string }) => f.check);
    expect(checks).toContain('multi-attach');
    expect(checks).toContain('terminating-pod-on-unreachable-node');
  });
});

describe('diagnose input errors', () => {
  it.each([
    [['--from-file', '/nonexistent/dump.json'], /--from-file \/nonexistent\/dump.json: no such file or directory/],
    [['-o', 'xml', '--from-file', EXAMPLE], /unknown output format "xml"/],
    [['--fail-on', 'sometimes', '--from-file', EXAMPLE], /invalid --fail-on "sometimes"/],
    [['--now', 'yesterday', '--from-file', EXAMPLE], /invalid --now "yesterday"/],
    [['widget/x', '--from-file', EXAMPLE], /unsupported type "widget"/],
    [['web-0', '--from-file', EXAMPLE], /"web-0" is not TYPE\/NAME/],
    [['--bogus'], /unknown option '--bogus'/],
  ])('%j exits 2 with one clear line', (args, message) => {
    const r = runBinary(['diagnose', ...args]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(message);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('names the file and the problem for malformed JSON and YAML', () => {
    const dir = tmp();
    writeFileSync(join(dir, 'bad.json'), '{"kind": "List", "items": [');
    writeFileSync(join(dir, 'bad.yaml'), 'kind: Pod\n  metadata: [oops');
    writeFileSync(join(dir, 'nokind.json'), '{"items": []}');
    for (const [file, message] of [['bad.json', 'invalid JSON'], ['bad.yaml', 'invalid YAML'], ['nokind.json', 'no "kind"']]) {
      const r = runBinary(['diagnose', '--from-file', join(dir, file)]);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(join(dir, file));
      expect(r.stderr).toContain(message);
    }
  });

  it('exits 3 with the server named when the cluster is unreachable', () => {
    const dir = tmp();
    const kubeconfig = join(dir, 'kubeconfig');
    writeFileSync(kubeconfig, [
      'apiVersion: v1', 'kind: Config', 'current-context: dead',
      'clusters:', '- name: dead', '  cluster:', '    server: https://127.0.0.1:1',
      'contexts:', '- name: dead', '  context:', '    cluster: dead', '    user: u',
      'users:', '- name: u', '  user:', '    token: abc',
    ].join('\n'));
    const r = runBinary(['diagnose', '--kubeconfig', kubeconfig]);
    expect(r.code).toBe(3);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain('cannot reach the Kubernetes API server at https://127.0.0.1:1 (context "dead")');
    const ctx = runBinary(['diagnose', '--kubeconfig', kubeconfig, '--context', 'nope']);
    expect(ctx.code).toBe(3);
    expect(ctx.stderr).toContain('context "nope" does not exist in the kubeconfig (contexts: dead)');
  });
});

describe('other commands', () => {
  it('explain lists every check and explains one', () => {
    const list = JSON.parse(runBinary(['explain', '-o', 'json']).stdout);
    expect(list.checks.length).toBeGreaterThanOrEqual(9);
    for (const c of list.checks) expect(Object.keys(c)).toEqual(['id', 'title', 'severity', 'reads', 'docs']);
    const one = runBinary(['explain', 'multi-attach']);
    expect(one.stdout).toContain('Never:');
    expect(runBinary(['explain', 'nope']).code).toBe(2);
  });

  it('--help shows examples and exits 0', () => {
    const r = runBinary(['diagnose', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Examples:');
    expect(r.stdout).toContain('--all-namespaces');
  });

  it('version prints the package version', () => {
    expect(runBinary(['version']).stdout).toMatch(/^volume-doctor v\d+\.\d+\.\d+/);
  });
});

describe('fix plans on a dump', () => {
  it('prints the RemediationPlan contract without applying', () => {
    const r = runBinary(['fix', '--from-file', EXAMPLE, '--dry-run', '-o', 'json', '--confirm-node-down', 'worker-2']);
    expect(r.code).toBe(0);
    const p = JSON.parse(r.stdout);
    expect(p.kind).toBe('RemediationPlan');
    expect(p.dryRun).toBe(true);
    const byType = Object.fromEntries(p.actions.map((a: { type: string; target: { name: string } }) => [`${a.type}:${a.target.name}`, a]));
    expect(byType['taint-out-of-service:worker-2'].status).toBe('planned');
    expect(byType['taint-out-of-service:worker-2'].command).toBe('kubectl taint node worker-2 node.kubernetes.io/out-of-service=nodeshutdown:NoExecute');
    expect(byType['taint-out-of-service:worker-3'].status).toBe('refused');
    expect(byType['remove-out-of-service-taint:worker-4'].status).toBe('planned');
    for (const a of p.actions) expect(Object.keys(a).filter((k) => k !== 'message')).toEqual(['type', 'target', 'finding', 'reason', 'guards', 'command', 'status']);
  });

  it('refuses to apply to a dump (exit 2)', () => {
    const r = runBinary(['fix', '--from-file', EXAMPLE, '--yes']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('a dump can only be planned');
  });

  it('--only limits the plan to one check', () => {
    const p = JSON.parse(runBinary(['fix', '--from-file', EXAMPLE, '--dry-run', '-o', 'json', '--only', 'out-of-service-taint-left']).stdout);
    expect(p.actions.map((a: { type: string }) => a.type)).toEqual(['remove-out-of-service-taint']);
  });

  it('does not plan anything on a healthy node named in --confirm-node-down except a refusal', () => {
    const dir = tmp();
    const f = join(dir, 'n.json');
    writeFileSync(f, JSON.stringify(asList([node('worker-1'), node('worker-2'), ...story1()])));
    const p = JSON.parse(runBinary(['fix', '--from-file', f, '--dry-run', '-o', 'json', '--confirm-node-down', 'worker-2']).stdout);
    expect(p.actions).toHaveLength(1);
    expect(p.actions[0]).toMatchObject({ type: 'taint-out-of-service', target: { name: 'worker-2' }, status: 'refused' });
    expect(p.actions[0].message).toContain('node worker-2 is Ready');
  });
});
