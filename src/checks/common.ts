// Helpers shared by checks: finding construction and the sentences several checks say the same way.
import type { Severity } from '../model/finding.js';
import type { FindingDraft } from './check.js';
import type { ObjectRef, PodFact, PvFact, VolumeAttachmentFact } from '../model/snapshot.js';
import type { Graph, NodeHealth } from '../graph.js';
import { uniqueRefs, refKey, podRef } from '../util/refs.js';
import { formatDuration, toMillis } from '../util/time.js';
import { WAITING_POD_GRACE_MS } from './thresholds.js';
import { NODE_LEASE_NAMESPACE, OUT_OF_SERVICE_EFFECT, OUT_OF_SERVICE_TAINT, OUT_OF_SERVICE_VALUE } from '../model/kubernetes-names.js';

export interface FindingInput {
  severity: Severity;
  subject: ObjectRef;
  /** Appended to the subject to keep ids unique, e.g. the PV name. */
  idSuffix?: string;
  related?: ObjectRef[];
  summary: string;
  evidence?: string[];
  explanation: string;
  remedies?: string[];
  since?: string;
  blocks?: ObjectRef[];
  headline?: string;
}

/** A finding's draft; the check that returns it stamps it with its id (see defineCheck). */
export function finding(input: FindingInput): FindingDraft {
  const subjectPath = refKey(input.subject).split('/').slice(1).join('/');
  return {
    key: [input.subject.kind.toLowerCase(), subjectPath, input.idSuffix].filter(Boolean).join('/'),
    severity: input.severity,
    subject: input.subject,
    related: uniqueRefs(input.related ?? []),
    summary: input.summary,
    evidence: input.evidence ?? [],
    explanation: input.explanation,
    remedies: input.remedies ?? [],
    since: input.since,
    blocks: uniqueRefs(input.blocks ?? []),
    ...(input.headline ? { headline: input.headline } : {}),
  };
}

/** Pods scheduled somewhere that have been waiting past the grace period for this PV. */
export function podsWaitingFor(graph: Graph, pv: PvFact): PodFact[] {
  return graph.podsUsingPv(pv.name).filter((p) => graph.isWaitingToStart(p) && graph.waitingForMs(p) >= WAITING_POD_GRACE_MS);
}

export function podsWaitingRefs(graph: Graph, pv: PvFact): ObjectRef[] {
  return podsWaitingFor(graph, pv).map(podRef);
}

/** "Terminating for 12m (grace period ended 11m ago)". */
export function terminatingFor(graph: Graph, pod: PodFact): string {
  const deadline = toMillis(pod.deletionTimestamp) ?? graph.now;
  const grace = pod.deletionGracePeriodSeconds ?? 0;
  const requestedAt = deadline - grace * 1000;
  return `Terminating for ${formatDuration(graph.now - requestedAt)} (grace period ended ${formatDuration(graph.now - deadline)} ago)`;
}

export function vaLine(graph: Graph, va: VolumeAttachmentFact): string {
  const parts = [`volumeattachment/${va.name}: node ${va.nodeName}, attached=${va.attached}`];
  if (va.deletionTimestamp) {
    const since = toMillis(va.deletionTimestamp);
    parts.push(`deleting${since === undefined ? '' : ` for ${formatDuration(graph.now - since)}`}`);
  }
  if (va.finalizers.length) parts.push(`finalizers [${va.finalizers.join(', ')}]`);
  return parts.join(', ');
}

/** The command that shows the evidence by hand. */
export const kubectl = {
  describePod: (p: { namespace: string; name: string }) => `kubectl describe pod ${p.name} -n ${p.namespace}`,
  getNode: (node: string) => `kubectl get node ${node} -o wide && kubectl get lease ${node} -n ${NODE_LEASE_NAMESPACE} -o yaml`,
  getVa: (name: string) => `kubectl get volumeattachment ${name} -o yaml`,
  vasForPv: (pv: string) => `kubectl get volumeattachments -o custom-columns=NAME:.metadata.name,PV:.spec.source.persistentVolumeName,NODE:.spec.nodeName,ATTACHED:.status.attached | grep -w ${pv}`,
  taintOutOfService: (node: string) => `kubectl taint node ${node} ${OUT_OF_SERVICE_TAINT}=${OUT_OF_SERVICE_VALUE}:${OUT_OF_SERVICE_EFFECT}`,
  untaintOutOfService: (node: string) => `kubectl taint node ${node} ${OUT_OF_SERVICE_TAINT}-`,
  fix: (target: string, node?: string) => `kubectl volume-doctor fix ${target}${node ? ` --confirm-node-down ${node}` : ''} --dry-run`,
};

/** What the node's kubelet said through the API server's node proxy, as one evidence line; none when it was not asked. */
export function kubeletEvidence(health: NodeHealth): string[] {
  const k = health.kubelet;
  if (!k || health.ready) return [];
  // A failed probe's detail carries its own reading (a refused connection suggests a running machine).
  return [k.reachDetail];
}

/**
 * The advice for a node that holds a volume and is down: the out-of-service taint, after a person confirms it is
 * off; never while its kubelet still answers. Word for word the same whichever finding points at the node, so the
 * report prints it once per node.
 */
export function nodeDownRemedies(health: NodeHealth): string[] {
  const node = health.name;
  if (health.kubelet?.reach === 'answered' && !health.ready) {
    return [
      `Do not mark ${node} out of service, force-delete its pods or delete its VolumeAttachments: its kubelet answers through the API server, so the machine runs and its pods may still write to their volumes (volume-doctor fix refuses).`,
      `Find out why the kubelet on ${node} stopped updating the node's status and Lease while it runs: on the node, journalctl -u kubelet (an expired client certificate, a hung status loop, the network path to the API server); see it answer with: kubectl get --raw /api/v1/nodes/${node}/proxy/healthz`,
      `Once its status is current again, Kubernetes finishes the pods and detaches the volumes by itself. If the workload must move before that, power the machine off first; then the node is really down and the out-of-service taint is safe.`,
    ];
  }
  if (health.outOfService) {
    return [
      `Node ${node} already has the out-of-service taint: Kubernetes force-deletes its pods and then detaches their volumes. If pods or volumes stay, see what holds them: kubectl get pods -A --field-selector spec.nodeName=${node}; kubectl get volumeattachments | grep ${node} (a detachError names the storage backend's refusal)`,
      `Remove the taint when the node is back: ${kubectl.untaintOutOfService(node)}`,
      'Never force-delete pods or delete VolumeAttachments of a node that might still be running.',
    ];
  }
  return [
    `Make sure node ${node} is really powered off (check the machine or its cloud console): a node that is only cut off from the API server may still write to the disk.`,
    `Then mark it out of service so Kubernetes force-deletes its pods and detaches its volumes: ${kubectl.taintOutOfService(node)} (or preview it with: ${kubectl.fix(`node/${node}`, node)})`,
    `Remove the taint when the node is back: ${kubectl.untaintOutOfService(node)}`,
    'Never force-delete pods or delete VolumeAttachments of a node that might still be running.',
  ];
}
