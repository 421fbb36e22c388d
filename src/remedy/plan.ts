// plan() is pure: findings + graph + options → actions with their guards evaluated. FIXES says which actions answer
// the findings of which check; the actions themselves (guards, command, write) are the table in actions.ts, whose
// guardsFor() apply reuses to re-judge each action against objects re-read just before the write.
import type { Finding } from '../model/finding.js';
import type { ObjectRef } from '../model/snapshot.js';
import type { Graph } from '../graph.js';
import { OUT_OF_SERVICE_TAINT } from '../model/kubernetes-names.js';
import { nodeRef, podRef, refKey, vaRef } from '../util/refs.js';
import type { CheckId } from '../checks/index.js';
import type { Action, ActionType, PlanOptions, RemediationPlan } from './types.js';
import { nodeToConfirm, serverPredatesOutOfService } from './guards.js';
import { commandFor, guardsFor } from './actions.js';

export { guardsFor } from './actions.js';

interface Candidate {
  type: ActionType;
  target: ObjectRef;
  finding: Finding;
  reason: string;
}

/** What to do about a node that is (or may be) down and holds pods or volumes. */
function nodeDownCandidates(graph: Graph, node: string, finding: Finding): Candidate[] {
  if (!graph.node(node)) {
    const health = graph.nodeHealth(node);
    const gone = health.unknown ? `is ${health.describe}; if it was deleted,` : 'no longer exists;';
    return graph.attachmentsOnNode(node).filter((va) => !va.deletionTimestamp).map((va) => ({
      type: 'delete-volumeattachment', target: vaRef(va.name), finding,
      reason: `node ${node} ${gone} nothing else will remove its attachment of ${va.persistentVolumeName ?? 'the volume'}`,
    }));
  }
  const taintUsable = !serverPredatesOutOfService(graph);
  const tainted = !!graph.node(node)?.taints.some((t) => t.key === OUT_OF_SERVICE_TAINT);
  if (taintUsable && !tainted) {
    return [{
      type: 'taint-out-of-service', target: nodeRef(node), finding,
      reason: `node ${node} is down: with the taint, pod GC force-deletes its Terminating pods and the attach/detach controller detaches its volumes at once`,
    }];
  }
  const why = taintUsable ? 'the out-of-service taint is on but did not clear it' : 'this server predates the out-of-service taint';
  const pods = graph.podsOnNode(node).filter((p) => p.deletionTimestamp && p.claims.length > 0);
  const vas = graph.attachmentsOnNode(node).filter((va) => !va.deletionTimestamp);
  return [
    ...pods.map((p): Candidate => ({ type: 'force-delete-pod', target: podRef(p), finding, reason: `pod is Terminating on down node ${node} and ${why}` })),
    ...vas.map((va): Candidate => ({ type: 'delete-volumeattachment', target: vaRef(va.name), finding, reason: `attachment to down node ${node} and ${why}` })),
  ];
}

/** Which actions answer a finding, by the check that made it; a check with no row here is never acted on. */
const FIXES: { [C in CheckId]?: (graph: Graph, finding: Finding) => Candidate[] } = {
  'terminating-pod-on-unreachable-node': (graph, finding) => {
    const pod = graph.pod(finding.subject.namespace ?? '', finding.subject.name);
    return pod?.nodeName ? nodeDownCandidates(graph, pod.nodeName, finding) : [];
  },
  'stale-volume-attachment': (graph, finding) => {
    const va = graph.volumeAttachment(finding.subject.name);
    return va ? nodeDownCandidates(graph, va.nodeName, finding) : [];
  },
  'multi-attach': (graph, finding) => {
    const pod = graph.pod(finding.subject.namespace ?? '', finding.subject.name);
    // Only holders that are not Ready (or gone); a Ready node's attachments are never touched.
    const holders = finding.related.filter((r) => r.kind === 'Node' && r.name !== pod?.nodeName && !graph.nodeHealth(r.name).ready);
    return holders.flatMap((h) => nodeDownCandidates(graph, h.name, finding));
  },
  'out-of-service-taint-left': (_graph, finding) => [
    { type: 'remove-out-of-service-taint', target: finding.subject, finding, reason: `node ${finding.subject.name} is Ready again; the taint keeps workloads off it` },
  ],
};

function candidatesFor(graph: Graph, finding: Finding): Candidate[] {
  return FIXES[finding.check]?.(graph, finding) ?? [];
}

/** Explicitly confirmed nodes that are in fact Ready get a refused action, so the refusal is visible. */
function confirmedReadyNodes(graph: Graph, options: PlanOptions, findings: Finding[]): Candidate[] {
  return options.confirmNodeDown
    .filter((node) => graph.node(node) && graph.nodeHealth(node).ready)
    .map((node) => ({
      type: 'taint-out-of-service' as const, target: nodeRef(node),
      finding: findings.find((f) => f.related.some((r) => r.kind === 'Node' && r.name === node)) ?? findings[0],
      reason: `--confirm-node-down names ${node}, but it is Ready`,
    }))
    .filter((c) => c.finding);
}

/** Printed once, when the taint goes on; kept in the action's message for -o json. */
export function taintReminder(node: string): string {
  return `When ${node} is back, remove the taint: kubectl taint node ${node} ${OUT_OF_SERVICE_TAINT}- (or: kubectl volume-doctor fix node/${node})`;
}

/** The action's message without the taint reminder, for what is printed after the reminder was. */
export function withoutReminder(action: Action): string | undefined {
  return action.type === 'taint-out-of-service' ? action.message?.replace(`. ${taintReminder(action.target.name)}`, '') : action.message;
}

/** The node whose power-off the operator has yet to confirm, when that confirmation is all an action lacks. */
export function onlyConfirmationMissing(action: Action): string | undefined {
  const failed = action.guards.filter((g) => !g.ok);
  if (failed.length !== 1 || failed[0].name !== 'node-down-confirmed') return undefined;
  return unconfirmedNode(action);
}

/** The node named by the action's unconfirmed node-down guard. */
export function unconfirmedNode(action: Action): string | undefined {
  const unconfirmed = action.guards.find((g) => g.name === 'node-down-confirmed' && !g.ok);
  return unconfirmed && nodeToConfirm(unconfirmed);
}

export function plan(findings: Finding[], graph: Graph, options: PlanOptions, dryRun: boolean): RemediationPlan {
  const selected = options.only?.length ? findings.filter((f) => options.only!.includes(f.check)) : findings;
  const seen = new Set<string>();
  const actions: Action[] = [];
  for (const c of [...selected.flatMap((f) => candidatesFor(graph, f)), ...confirmedReadyNodes(graph, options, selected)]) {
    const k = `${c.type}/${refKey(c.target)}`;
    if (seen.has(k)) continue;
    seen.add(k);
    const guards = guardsFor(c.type, c.target, graph, options);
    const failed = guards.filter((g) => !g.ok);
    actions.push({
      type: c.type,
      target: c.target,
      finding: c.finding.id,
      reason: c.reason,
      guards,
      command: commandFor(c.type, c.target),
      status: failed.length ? 'refused' : 'planned',
      message: failed.length ? `refused: ${failed.map((g) => g.detail).join('; ')}` : undefined,
    });
  }
  return { apiVersion: 'volume-doctor/v1', kind: 'RemediationPlan', dryRun, actions };
}
