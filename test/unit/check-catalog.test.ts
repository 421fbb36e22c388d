// Rules every check must follow, in the spirit of ESLint's checks on its own rule files: its own test file with
// cases that fire and cases that stay quiet, documentation with every section `explain` and the README promise,
// `reads` that name what the readers read, and findings that stay within the check's declared severity.
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CHECK_BY_ID, CHECKS, runChecks } from '../../src/checks/index.js';
import { SEVERITY_RANK } from '../../src/model/finding.js';
import { Graph } from '../../src/graph.js';
import { FOLDERS } from '../../src/cluster/fold.js';
import { ago, node, snapshotOf } from '../fixtures/builders.js';
import { runCheck } from '../fixtures/run.js';
import { outOfServiceTaintLeft } from '../../src/checks/out-of-service-taint-left.js';
import type { Check } from '../../src/checks/check.js';
import { DOC_SECTIONS } from '../../src/checks/check.js';
import { CORE_KINDS, KUBELET_PROXY, LONGHORN_KINDS } from '../../src/model/kinds.js';
import type { Raw } from '../fixtures/builders.js';
import {
  attachFails, clusterBase, decoys, exampleCluster, longhornUpgrade, nfsTimeout, provisioningFails, story1, story2, story3, story4,
} from '../fixtures/stories.js';
import { REALWORLD, realWorldDump } from '../fixtures/waiting.js';

const KNOWN_READS = new Set<string>([...Object.keys(CORE_KINDS), ...Object.keys(LONGHORN_KINDS), KUBELET_PROXY]);

const testFile = (id: string) => new URL(`./${id}.test.ts`, import.meta.url);

/** The titles of every `describe(...)`, `it(...)` and `test(...)` in a test file's source. */
function titles(source: string): string[] {
  return [...source.matchAll(/\b(?:describe|it|test)(?:\.each\([^)]*\))?\(\s*(['"`])((?:\\.|(?!\1).)*)\1/g)].map((m) => m[2]);
}

describe('the resource names checks declare in reads', () => {
  it('are the kinds of the catalogue the readers fold, and the node proxy the kubelet reader asks through', () => {
    expect(Object.values(CORE_KINDS).map((k) => k.kind).sort()).toEqual(Object.keys(FOLDERS).sort());
    expect(readFileSync(new URL('../../src/cluster/kubelet-reader.ts', import.meta.url), 'utf8')).toMatch(/\/api\/v1\/nodes\/.*\/proxy\//);
  });
});

describe('every check', () => {
  it('has a unique id in kebab-case, a title and a severity', () => {
    const ids = CHECKS.map((c) => c.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(Object.keys(CHECK_BY_ID)).toEqual(ids);
    for (const c of CHECKS) {
      expect(c.id).toMatch(/^[a-z]+(?:-[a-z]+)*$/);
      expect(c.title.trim().length, c.id).toBeGreaterThan(0);
      expect(Object.keys(SEVERITY_RANK), c.id).toContain(c.severity);
    }
  });

  describe.each(CHECKS.map((c) => [c.id, c] as const))('%s', (id, check) => {
    it('lives in src/checks/<id>.ts', () => {
      expect(existsSync(new URL(`../../src/checks/${id}.ts`, import.meta.url))).toBe(true);
    });

    it('has its own test file test/unit/<id>.test.ts that imports it, with cases that fire and cases that stay quiet', () => {
      expect(existsSync(testFile(id)), `test/unit/${id}.test.ts is missing`).toBe(true);
      const source = readFileSync(testFile(id), 'utf8');
      expect(source).toContain(`/src/checks/${id}.js'`);
      const all = titles(source);
      expect(all.some((t) => /^fires\b/.test(t)), `no describe/it title in ${id}.test.ts starts with "fires"`).toBe(true);
      expect(all.some((t) => /^stays quiet\b/.test(t)), `no describe/it title in ${id}.test.ts starts with "stays quiet"`).toBe(true);
    });

    it('documents what it finds, how Kubernetes gets there, how to confirm it by hand, the safe fix and what never to do', () => {
      const lines = check.docs.split('\n');
      const at = DOC_SECTIONS.map((s) => lines.findIndex((l) => l.startsWith(s)));
      for (const [i, s] of DOC_SECTIONS.entries()) expect(at[i], `${id}'s docs lack a line starting "${s}"`).toBeGreaterThan(0);
      expect([...at].sort((a, b) => a - b), `${id}'s docs sections are out of order`).toEqual(at);
      expect(lines.slice(0, at[0]).join(' ').trim().length, `${id}'s docs open with no paragraph`).toBeGreaterThan(40);
      // Each section says something, on its own line or on the lines below it.
      for (const [i, s] of DOC_SECTIONS.entries()) {
        const body = [lines[at[i]].slice(s.length), ...lines.slice(at[i] + 1, at[i + 1] ?? lines.length)].join(' ').trim();
        expect(body.length, `${id}'s "${s}" is empty`).toBeGreaterThan(10);
      }
    });

    it('reads only resources the readers know, each once', () => {
      expect(check.reads.length).toBeGreaterThan(0);
      expect(new Set(check.reads).size).toBe(check.reads.length);
      for (const r of check.reads) expect(KNOWN_READS, `${id} reads unknown "${r}"`).toContain(r);
    });
  });
});

describe('findings over every fixture', () => {
  const fixtures: [string, Raw[]][] = [
    ['example cluster', exampleCluster()],
    ['cluster base', clusterBase()],
    ...([['story 1', story1], ['story 2', story2], ['story 3', story3], ['story 4', story4], ['nfs timeout', nfsTimeout], ['attach fails', attachFails],
      ['decoys', decoys], ['provisioning fails', provisioningFails]] as const).map(([n, f]): [string, Raw[]] => [n, [...clusterBase(), ...f()]]),
    ['longhorn upgrade, healthy elsewhere', longhornUpgrade(true)],
    ['longhorn upgrade, no healthy replica', longhornUpgrade(false)],
    ...REALWORLD.map((m, i): [string, Raw[]] => [`real-world message ${i} (${m.family})`, realWorldDump(m).objects]),
  ];
  const byId = new Map(CHECKS.map((c) => [c.id, c]));

  it.each(fixtures)('%s: each finding comes from a known check, carries its id, and stays within its severity', (_name, objects) => {
    const findings = runChecks(new Graph(snapshotOf(objects)));
    for (const f of findings) {
      const check = byId.get(f.check);
      expect(check, `finding ${f.id} names unknown check ${f.check}`).toBeDefined();
      expect(f.id.startsWith(`${f.check}/`), f.id).toBe(true);
      expect(SEVERITY_RANK[f.severity], `${f.id} is ${f.severity}, above ${check!.id}'s ${check!.severity}`).toBeLessThanOrEqual(SEVERITY_RANK[check!.severity]);
    }
  });

  it('and in every check test: runCheck refuses a finding above its check\'s severity or under another check\'s name', () => {
    const tooLoud: Check = { ...outOfServiceTaintLeft, id: 'too-loud', severity: 'info', run: (g) => outOfServiceTaintLeft.run(g).map((f) => ({ ...f, check: 'too-loud', id: f.id.replace(/^[^/]+/, 'too-loud') })) };
    const objects = [node('worker-4', { since: ago('30m'), taints: [{ key: 'node.kubernetes.io/out-of-service', value: 'nodeshutdown', effect: 'NoExecute', timeAdded: ago('2h') }] })];
    expect(runCheck(outOfServiceTaintLeft, objects)).toHaveLength(1);
    expect(() => runCheck(tooLoud, objects)).toThrow(/warning, above too-loud's info/);
    expect(() => runCheck({ ...outOfServiceTaintLeft, id: 'renamed' }, objects)).toThrow(/names check out-of-service-taint-left, not renamed/);
  });
});

describe('the Longhorn checks', () => {
  it('all stay quiet when Longhorn is not installed', () => {
    const graph = new Graph(snapshotOf([node('worker-1'), ...story2()]));
    const longhornChecks = CHECKS.filter((c) => c.id.startsWith('longhorn-'));
    expect(longhornChecks.length).toBe(4);
    for (const c of longhornChecks) expect(c.run(graph)).toEqual([]);
  });
});
