// Benchmark: how long the engine takes on a large cluster, phase by phase, and what it keeps in memory.
// Run: npm run bench [-- NODES PODS]   (not a test: numbers go to stdout for comparison across changes)
import { writeFileSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { readDumps } from '../src/cluster/dump-reader.js';
import { Graph } from '../src/graph.js';
import { runChecks } from '../src/checks/index.js';
import { ago, asList, boundVolume, lease, node, pod, uniqueName, DRIVER, volumeAttachment, csiNode, csiDriver, storageClass } from '../test/fixtures/builders.js';
import { story1, story2, clusterBase } from '../test/fixtures/stories.js';

const nodes = Number(process.argv[2] ?? 1000);
const pods = Number(process.argv[3] ?? 20000);

function cluster(): unknown[] {
  const objects: unknown[] = [...clusterBase(), ...story1(), ...story2(), csiDriver(DRIVER), storageClass('standard', DRIVER, true)];
  for (let n = 0; n < nodes; n++) {
    const name = `bench-node-${n}`;
    const mine = Array.from({ length: Math.ceil(pods / nodes) }, (_, i) => `pv-${n}-${i}`);
    objects.push(node(name, { volumesAttached: mine.map((v) => uniqueName(DRIVER, v)), volumesInUse: mine.map((v) => uniqueName(DRIVER, v)) }), lease(name, ago('3s')), csiNode(name));
  }
  for (let p = 0; p < pods; p++) {
    const n = p % nodes;
    const i = Math.floor(p / nodes);
    const pv = `pv-${n}-${i}`;
    objects.push(...boundVolume(`ns-${p % 50}`, `claim-${p}`, pv), volumeAttachment({ pv, node: `bench-node-${n}` }),
      pod(`ns-${p % 50}`, `pod-${p}`, { node: `bench-node-${n}`, claims: [`claim-${p}`] }));
  }
  return objects;
}

const dir = mkdtempSync(join(tmpdir(), 'vd-bench-'));
try {
  const file = join(dir, 'dump.json');
  writeFileSync(file, JSON.stringify(asList(cluster())));
  const sizeMb = statSync(file).size / 1e6;
  global.gc?.();
  const heapBefore = process.memoryUsage().heapUsed;
  const t0 = performance.now();
  const snapshot = readDumps([file]);
  const t1 = performance.now();
  const graph = new Graph(snapshot);
  const t2 = performance.now();
  const findings = runChecks(graph);
  const t3 = performance.now();
  global.gc?.();
  const heapAfter = process.memoryUsage().heapUsed;
  console.log(JSON.stringify({
    nodes, pods, dumpMB: Number(sizeMb.toFixed(1)),
    readAndFoldMs: Math.round(t1 - t0), graphMs: Math.round(t2 - t1), checksMs: Math.round(t3 - t2),
    findings: findings.length, snapshotHeapMB: Number(((heapAfter - heapBefore) / 1e6).toFixed(1)),
  }));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
