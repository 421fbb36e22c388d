// The pure core: Snapshot → Graph → findings. No I/O and no clock: time comes from snapshot.now.
import type { Finding } from './model/finding.js';
import type { ObjectRef, Snapshot } from './model/snapshot.js';
import { Graph, JudgingSettings } from './graph.js';
import { runChecks } from './checks/index.js';
import { sameRef } from './util/refs.js';
import { toMillis } from './util/time.js';

export interface DiagnoseResult {
  graph: Graph;
  findings: Finding[];
}

/** Findings that concern the target: about it, naming it, or blocking it. */
function concerns(f: Finding, target: ObjectRef): boolean {
  return [f.subject, ...f.related, ...f.blocks].some((r) => sameRef(r, target));
}

export function diagnoseSnapshot(snapshot: Snapshot, target?: ObjectRef, settings: JudgingSettings = {}): DiagnoseResult {
  const graph = new Graph(snapshot, settings);
  const findings = runChecks(graph);
  return { graph, findings: target ? findings.filter((f) => concerns(f, target)) : findings };
}

/** A node that became Ready again within this window is asked what it still holds: pods may have been force-deleted while it was away. */
const RECENTLY_BACK_MS = 60 * 60 * 1000;

/**
 * The nodes whose kubelet is worth asking for its own view (its pods, volume metrics and log): the nodes findings
 * point at, not-Ready nodes whose kubelet still answers, and nodes that came back within RECENTLY_BACK_MS after
 * having existed a while (for a targeted run: the findings about the target). Never every node of a large cluster: the reader caps how many it asks.
 */
export function nodesToAskKubelets(snapshot: Snapshot, target?: ObjectRef): string[] {
  // A targeted read sees the target's neighbours only partly: findings about them are not what was asked.
  const { graph, findings } = diagnoseSnapshot(snapshot, target);
  const named = findings.flatMap((f) => [f.subject, ...f.related]).filter((r) => r.kind === 'Node').map((r) => r.name);
  const answering = (snapshot.kubelets ?? []).filter((k) => k.reach === 'answered').map((k) => k.node);
  const back = snapshot.nodes.filter((n) => {
    const since = toMillis(n.readyTransitionTime);
    const born = toMillis(n.creationTimestamp);
    return n.ready === 'True' && since !== undefined && graph.now - since <= RECENTLY_BACK_MS && (born === undefined || since - born > 2 * 60 * 1000);
  }).map((n) => n.name);
  return [...new Set([...named, ...answering, ...back])];
}
