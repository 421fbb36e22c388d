// Benchmark: how long the human views take to lay out a large plan and diagnosis (a cluster-wide outage).
// Run: npx vite-node bench/report.bench.ts [-- ACTIONS]   (not a test: numbers go to stdout for comparison)
import { performance } from 'node:perf_hooks';
import { renderPlanTable } from '../src/report/plan-table.js';
import { renderDiagnosisTable } from '../src/report/diagnosis-table.js';
import { buildDiagnosis } from '../src/report/diagnosis.js';
import { makeStyle } from '../src/report/style.js';
import { diagnoseSnapshot } from '../src/engine.js';
import { plan } from '../src/remedy/plan.js';
import { ago, boundVolume, lease, node, pod, snapshotOf, volumeAttachment, type Raw } from '../test/fixtures/builders.js';

const actions = Number(process.argv[2] ?? 1500);

// Every node down with a stuck StatefulSet pod and its attachment: one taint action and a story or two each.
const objects: Raw[] = [node('healthy-0')];
for (let n = 0; n < actions; n++) {
  const name = `worker-${n}`;
  const pv = `pvc-${String(n).padStart(8, '0')}-0000-4000-8000-000000000000`;
  objects.push(node(name, { ready: 'Unknown', since: ago('25m') }), lease(name, ago('25m40s')), ...boundVolume(`ns-${n % 50}`, `data-${n}`, pv),
    volumeAttachment({ pv, node: name, attached: true }),
    pod(`ns-${n % 50}`, `db-${n}`, { node: name, claims: [`data-${n}`], owner: { kind: 'StatefulSet', name: `db-${n}` }, deletionTimestamp: ago('19m'), grace: 30, created: ago('72h') }));
}
const snapshot = snapshotOf(objects);
const { graph, findings } = diagnoseSnapshot(snapshot);
const p = plan(findings, graph, { confirmNodeDown: [], nodeDownForMs: 5 * 60_000 }, true);
const style = makeStyle(true);
const t0 = performance.now();
const planOut = renderPlanTable(p, style, 100);
const t1 = performance.now();
const diagnosisOut = renderDiagnosisTable(buildDiagnosis(snapshot, findings), findings, style, true, 100);
const t2 = performance.now();
console.log(JSON.stringify({
  actions: p.actions.length, findings: findings.length,
  planMs: Math.round(t1 - t0), planLines: planOut.split('\n').length,
  diagnosisWideMs: Math.round(t2 - t1), diagnosisLines: diagnosisOut.split('\n').length,
}));
