// The pure core: Snapshot → Graph → findings. No I/O and no clock: time comes from snapshot.now.
import type { Finding } from './model/finding.js';
import type { ObjectRef, Snapshot } from './model/snapshot.js';
import { Graph, JudgingSettings } from './graph.js';
import { runChecks } from './checks/index.js';
import { sameRef } from './util/refs.js';

export interface DiagnoseResult {
  graph: Graph;
  findings: Finding[];
}

/** Findings that concern the target: about it, naming it, or blocking it. */
export function concerns(f: Finding, target: ObjectRef): boolean {
  return [f.subject, ...f.related, ...f.blocks].some((r) => sameRef(r, target));
}

export function diagnoseSnapshot(snapshot: Snapshot, target?: ObjectRef, settings: JudgingSettings = {}): DiagnoseResult {
  const graph = new Graph(snapshot, settings);
  const findings = runChecks(graph);
  return { graph, findings: target ? findings.filter((f) => concerns(f, target)) : findings };
}
