// Property-based: whatever a dump holds, the reader answers with a Snapshot or a UsageError/NotFoundError, and
// the engine, the planner and the renderers never throw on what the reader accepted. FC_SEED=n replays a run.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import yaml from 'js-yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { readDumps } from '../../src/cluster/dump-reader.js';
import { checkTargetInDump } from '../../src/cli/load.js';
import { diagnoseSnapshot } from '../../src/engine.js';
import { NotFoundError, UsageError } from '../../src/errors.js';
import type { ObjectRef } from '../../src/model/snapshot.js';
import { plan } from '../../src/remedy/plan.js';
import { buildDiagnosis } from '../../src/report/diagnosis.js';
import { renderDiagnosisTable } from '../../src/report/diagnosis-table.js';
import { renderPlanTable } from '../../src/report/plan-table.js';
import { renderStructured } from '../../src/report/structured.js';
import { makeStyle } from '../../src/report/style.js';
import { asList, Raw } from '../fixtures/builders.js';
import { exampleCluster } from '../fixtures/stories.js';
import { runBinaryAsync } from '../cli/run-binary.js';

const SEED = process.env.FC_SEED ? Number(process.env.FC_SEED) : 20261126;
const settings = (numRuns: number) => ({ seed: SEED, numRuns, endOnFailure: true, includeErrorInReport: true });

const TARGETS: ObjectRef['kind'][] = ['Pod', 'PersistentVolumeClaim', 'PersistentVolume', 'Node', 'VolumeAttachment'];
const RESOURCE: Record<string, 'pods' | 'persistentvolumeclaims' | 'persistentvolumes' | 'nodes' | 'volumeattachments'> = {
  Pod: 'pods', PersistentVolumeClaim: 'persistentvolumeclaims', PersistentVolume: 'persistentvolumes', Node: 'nodes', VolumeAttachment: 'volumeattachments',
};

let planTables = 0;

/** Reads a dump text as `--from-file -` would, then runs everything downstream; only input errors may escape. */
function readAndRunAll(text: string, target?: { kind: string; name: string; namespace?: string }): 'read' | 'refused' {
  let snapshot;
  try {
    snapshot = readDumps(['-'], { stdin: text });
    if (target) {
      const namespaced = target.kind === 'Pod' || target.kind === 'PersistentVolumeClaim';
      checkTargetInDump(snapshot, { resource: RESOURCE[target.kind], name: target.name, namespace: namespaced ? (target.namespace ?? 'default') : undefined });
    }
  } catch (err) {
    if (err instanceof UsageError || err instanceof NotFoundError) return 'refused';
    throw err;
  }
  const ref = target ? { kind: target.kind, name: target.name, namespace: target.kind === 'Pod' || target.kind === 'PersistentVolumeClaim' ? (target.namespace ?? 'default') : undefined } : undefined;
  const { graph, findings } = diagnoseSnapshot(snapshot, ref);
  const diagnosis = buildDiagnosis(snapshot, findings);
  const style = makeStyle(false);
  renderStructured(diagnosis, 'json');
  renderStructured(diagnosis, 'yaml');
  renderDiagnosisTable(diagnosis, findings, style, false);
  renderDiagnosisTable(diagnosis, findings, style, true);
  const nodes = snapshot.nodes.map((n) => n.name);
  for (const nodeDownForMs of [0, 300_000]) {
    const p = plan(findings, graph, { confirmNodeDown: nodes, nodeDownForMs }, true);
    renderStructured(p, 'json');
    // The plan table is slow to lay out (a quarter of a second on a slow machine): every few runs.
    if (++planTables % 6 === 0 && p.actions.length) renderPlanTable(p, style);
  }
  return 'read';
}

const fixtureObjects: Raw[] = exampleCluster();

/** Every path to a value inside an object, so a mutation can hit any field, deep or shallow. */
function paths(o: unknown, prefix: (string | number)[] = [], out: (string | number)[][] = []): (string | number)[][] {
  if (o === null || typeof o !== 'object') return out;
  for (const [k, v] of Array.isArray(o) ? o.map((x, i) => [i, x] as const) : Object.entries(o)) {
    const p = [...prefix, k];
    out.push(p);
    paths(v, p, out);
  }
  return out;
}

const timestamp = fc.oneof(
  fc.constantFrom('2099-01-01T00:00:00Z', '1970-01-01T00:00:00Z', '2026-11-24T02:59:59Z', '2026-02-30T00:00:00Z', 'yesterday', '', '1'),
  fc.date({ min: new Date('1900-01-01'), max: new Date('2200-01-01'), noInvalidDate: true }).map((d) => d.toISOString()),
);

const oddValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(null, undefined, 0, -1, 5, 1e308, true, false, '', 'x', '__proto__', [], {}, [null], { kind: 5 }, 'worker-2', 'Ready', 'Unknown', 'True', 'False'),
  timestamp,
  fc.string({ maxLength: 12 }),
  fc.integer(),
  fc.jsonValue({ maxDepth: 3 }),
);

/** An example-cluster object with 1-4 fields replaced by odd values (undefined deletes the field). */
const mutatedDump = fc.record({
  picks: fc.array(fc.record({ object: fc.nat(), path: fc.nat(), value: oddValue }), { minLength: 1, maxLength: 8 }),
  drop: fc.array(fc.nat(), { maxLength: 3 }),
  asYaml: fc.nat(4).map((n) => n === 0),
  target: fc.option(fc.record({ kind: fc.constantFrom(...TARGETS), which: fc.nat() }), { nil: undefined }),
}).map(({ picks, drop, asYaml, target }) => {
  const objects: Raw[] = structuredClone(fixtureObjects);
  for (const { object, path, value } of picks) {
    const o = objects[object % objects.length];
    const all = paths(o);
    if (!all.length) continue;
    const p = all[path % all.length];
    let parent = o;
    for (const k of p.slice(0, -1)) parent = parent[k];
    if (value === undefined) delete parent[p[p.length - 1]];
    else parent[p[p.length - 1]] = structuredClone(value);
  }
  for (const d of drop) objects.splice(d % objects.length, 1);
  const named = target && objects.filter((o) => o?.kind === target.kind);
  const t = target && named?.length ? named[target.which % named.length] : undefined;
  const list = asList(objects);
  return {
    text: asYaml ? yaml.dump(list, { noRefs: true }) : JSON.stringify(list),
    target: t && typeof t.metadata?.name === 'string' ? { kind: t.kind, name: t.metadata.name, namespace: t.metadata.namespace } : undefined,
  };
});

/** Random JSON shaped a little like a dump: a List, an object of a known kind, or anything at all. */
const randomDump = fc.oneof(
  fc.jsonValue({ maxDepth: 5 }).map((v) => JSON.stringify(v)),
  fc.record({
    kind: fc.constantFrom('List', 'PodList', 'NodeList', 'Pod', 'Node', 'Lease', 'VolumeAttachment', 'Event', 'PersistentVolume', 'PersistentVolumeClaim', 'Volume'),
    apiVersion: fc.constantFrom('v1', 'storage.k8s.io/v1', 'longhorn.io/v1beta2', 'coordination.k8s.io/v1'),
    items: fc.option(fc.array(fc.oneof(fc.jsonValue({ maxDepth: 4 }), fc.record({ kind: fc.constantFrom('Pod', 'Node', 'Lease', 'Setting', 'Replica'), apiVersion: fc.constantFrom('v1', 'longhorn.io/v1beta2'), metadata: fc.jsonValue({ maxDepth: 2 }), spec: fc.jsonValue({ maxDepth: 3 }), status: fc.jsonValue({ maxDepth: 3 }) })), { maxLength: 6 }), { nil: undefined }),
    metadata: fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.record({ name: fc.string({ maxLength: 8 }), namespace: fc.option(fc.string({ maxLength: 8 })), creationTimestamp: timestamp })),
    spec: fc.jsonValue({ maxDepth: 3 }),
    status: fc.jsonValue({ maxDepth: 3 }),
  }, { requiredKeys: ['kind'] }).map((o) => JSON.stringify(o)),
  fc.string({ maxLength: 200 }),
);

describe('fuzz: the dump reader and everything after it', () => {
  it('mutated story objects: a Snapshot or an input error, and the checks, planner and renderers never throw', () => {
    let read = 0;
    fc.assert(fc.property(mutatedDump, ({ text, target }) => {
      if (readAndRunAll(text, target) === 'read') read++;
    }), settings(60));
    // Most mutations leave something readable: the property is not vacuous.
    expect(read).toBeGreaterThan(30);
  }, 60_000);

  it('random JSON and text: a Snapshot or an input error, never another exception', () => {
    fc.assert(fc.property(randomDump, (text) => { readAndRunAll(text); }), settings(400));
  }, 60_000);
});

const made: string[] = [];
afterAll(() => made.forEach((d) => rmSync(d, { recursive: true, force: true })));

describe('fuzz: the binary on generated dump files', () => {
  it('exits 0, 1, 2 or 3 only, with no stack on stderr', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vd-fuzz-'));
    made.push(dir);
    const samples = [
      ...fc.sample(mutatedDump, { seed: SEED, numRuns: 10 }).map((s) => s.text),
      ...fc.sample(randomDump, { seed: SEED + 1, numRuns: 6 }),
    ];
    const files = samples.map((text, i) => {
      const f = join(dir, `dump-${i}.json`);
      writeFileSync(f, text);
      return f;
    });
    const results: { file: string; code: number; stderr: string; timedOut: boolean }[] = [];
    for (let i = 0; i < files.length; i += 8) {
      results.push(...await Promise.all(files.slice(i, i + 8).map(async (file, j) => {
        const args = (i + j) % 3 === 0 ? ['fix', '--from-file', file, '--dry-run', '-o', 'json', '--confirm-node-down', 'worker-2'] : ['diagnose', '--from-file', file, '-o', (i + j) % 2 ? 'json' : 'wide'];
        return { file, ...await runBinaryAsync(args, {}, { timeoutMs: 20_000 }) };
      })));
    }
    for (const r of results) {
      expect(r.timedOut, r.file).toBe(false);
      expect([0, 1, 2, 3], `${r.file}: ${r.stderr}`).toContain(r.code);
      expect(r.stderr, r.file).not.toMatch(/\n\s+at /);
      expect(r.stderr, r.file).not.toContain('unexpected failure');
    }
    // Both accepted and refused dumps were exercised.
    expect(results.some((r) => r.code === 2)).toBe(true);
    expect(results.some((r) => r.code !== 2)).toBe(true);
  }, 60_000);
});
