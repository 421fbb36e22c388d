import { defineCheck, type FindingDraft } from './check.js';
import type { EventFact, ObjectRef, PodFact, PvcFact } from '../model/snapshot.js';
import { STORAGE_RESIZER_ANNOTATION } from '../model/kubernetes-names.js';
import type { Graph } from '../graph.js';
import { quantityBytes } from '../graph.js';
import { podRef, pvRef, pvcRef, shortName } from '../util/refs.js';
import { formatDuration, toMillis } from '../util/time.js';
import { classificationLine, classifyVolumeMessage, type VolumeMessageClass } from './classify-message.js';
import { finding, kubectl } from './common.js';
import { RESIZE_GRACE_MS, VOLUME_WAIT_CRITICAL_MS, WAITING_POD_GRACE_MS } from './thresholds.js';

const ID = 'pvc-expansion-stuck';

type Condition = PvcFact['conditions'][number];

const RESIZE_CONDITIONS = ['Resizing', 'FileSystemResizePending', 'ControllerResizeError', 'NodeResizeError'];
/** Events about a claim that belong to a resize (expand controller, external-resizer, kubelet). */
const CLAIM_RESIZE_REASONS = new Set(['ExternalExpanding', 'Resizing', 'VolumeResizeFailed', 'FileSystemResizeRequired', 'FileSystemResizeFailed']);
const SUCCESS_REASONS = new Set(['VolumeResizeSuccessful', 'FileSystemResizeSuccessful']);
/** What the expand controller says when it leaves a claim to an external resizer. */
const EXTERNAL_EXPANDING = /waiting for an external controller to expand this PVC|waiting for external resizer to expand the pvc/i;
/** The kubelet's FailedMount messages for a mount that failed while growing the file system. */
const EXPANSION_DURING_MOUNT = /NodeExpandVolume|Expander\.NodeExpand|while expanding volume/i;

const eventTime = (e: EventFact) => toMillis(e.lastTimestamp ?? e.firstTimestamp);
const eventStart = (e: EventFact) => toMillis(e.firstTimestamp ?? e.lastTimestamp);

/**
 * A resize that finished leaves its events behind: only events seen after the claim's last VolumeResizeSuccessful or
 * FileSystemResizeSuccessful belong to the resize under way.
 */
export function afterLastResizeSuccess(claimEvents: EventFact[]): (e: EventFact) => boolean {
  const lastSuccess = Math.max(-Infinity, ...claimEvents.filter((e) => SUCCESS_REASONS.has(e.reason)).map((e) => eventTime(e) ?? -Infinity));
  return (e) => (eventTime(e) ?? Infinity) >= lastSuccess;
}

function eventLine(e: EventFact, about?: PodFact): string {
  return `event ${e.reason} (${e.type}, x${e.count}, first ${e.firstTimestamp ?? 'unknown'}, last ${e.lastTimestamp ?? 'unknown'}${e.component ? `, from ${e.component}` : ''}${about ? `, on pod ${shortName(about)}` : ''}): ${e.message}`;
}

function conditionLine(c: Condition): string {
  return `condition ${c.type}=${c.status}${c.lastTransitionTime ? ` (since ${c.lastTransitionTime})` : ''}: ${c.message ?? '(no message)'}`;
}

/** An error the resize reported, where it came from, and what the shared table makes of it. */
interface ResizeError {
  message: string;
  at: number;
  line: string;
  /** Reported by the kubelet (node expansion) rather than the resizer (controller expansion). */
  node: boolean;
  cls?: VolumeMessageClass;
}

interface Facts {
  pvc: PvcFact;
  requested?: number;
  capacity?: number;
  conditions: Condition[];
  claimEvents: EventFact[];
  /** Expansion failures the kubelet recorded on pods that use the claim. */
  podEvents: { pod: PodFact; e: EventFact }[];
  users: PodFact[];
  waiting: PodFact[];
  errors: ResizeError[];
  since?: string;
}

function gather(graph: Graph, pvc: PvcFact): Facts {
  const requested = quantityBytes(pvc.requestedStorage);
  const capacity = quantityBytes(pvc.capacityStorage);
  const conditions = pvc.conditions.filter((c) => RESIZE_CONDITIONS.includes(c.type) && c.status === 'True');
  const own = graph.eventsFor('PersistentVolumeClaim', pvc.namespace, pvc.name).filter((e) => graph.isCurrentEvent(pvc, e));
  const recent = afterLastResizeSuccess(own);
  const claimEvents = own.filter((e) => CLAIM_RESIZE_REASONS.has(e.reason) && recent(e));
  const users = graph.podsUsingClaim(pvc.namespace, pvc.name).filter((p) => !p.deletionTimestamp);
  const podEvents = users.flatMap((pod) => graph.eventsFor('Pod', pod.namespace, pod.name)
    .filter((e) => e.type === 'Warning' && graph.isCurrentEvent(pod, e) && recent(e))
    .filter((e) => e.reason === 'VolumeResizeFailed' || e.reason === 'FileSystemResizeFailed' || (e.reason === 'FailedMount' && EXPANSION_DURING_MOUNT.test(e.message)))
    .map((e) => ({ pod, e })));
  const waiting = users.filter((p) => graph.waitsOnVolumes(p) && graph.waitingForMs(p) >= WAITING_POD_GRACE_MS);
  const errors: ResizeError[] = [
    ...conditions.filter((c) => c.type.endsWith('Error') && c.message).map((c) => ({
      message: c.message!, at: toMillis(c.lastTransitionTime) ?? 0, line: conditionLine(c), node: c.type === 'NodeResizeError',
    })),
    ...claimEvents.filter((e) => e.type === 'Warning').map((e) => ({
      message: e.message, at: eventTime(e) ?? 0, line: eventLine(e), node: e.reason === 'FileSystemResizeFailed',
    })),
    ...podEvents.map(({ pod, e }) => ({ message: e.message, at: eventTime(e) ?? 0, line: eventLine(e, pod), node: true })),
  ].sort((a, b) => b.at - a.at).map((x) => ({ ...x, cls: classifyVolumeMessage(x.message, { phase: 'resize' }) }));
  const starts = [
    ...conditions.map((c) => toMillis(c.lastTransitionTime)),
    ...claimEvents.map(eventStart),
    ...podEvents.map(({ e }) => eventStart(e)),
  ].filter((t): t is number => t !== undefined);
  const since = starts.length ? new Date(Math.min(...starts)).toISOString().replace(/\.000Z$/, 'Z') : undefined;
  return { pvc, requested, capacity, conditions, claimEvents, podEvents, users, waiting, errors, since };
}

const has = (f: Facts, type: string) => f.conditions.some((c) => c.type === type);

function podState(graph: Graph, p: PodFact): string {
  if (graph.waitsOnVolumes(p)) return `${p.nodeName ? `${p.waitingReasons[0] ?? 'Pending'} on ${p.nodeName}` : 'Pending, not scheduled'}, waiting ${formatDuration(graph.waitingForMs(p))}`;
  return `${p.phase}${p.nodeName ? ` on ${p.nodeName}` : ''}`;
}

/** How to stop a pod's workload, by its controller. */
function stopCommand(p: PodFact): string {
  if (p.owner?.kind === 'StatefulSet') return `kubectl scale statefulset ${p.owner.name} -n ${p.namespace} --replicas=0`;
  if (p.owner?.kind === 'ReplicaSet') return `scale the Deployment that owns replicaset ${p.owner.name} to zero (kubectl get replicaset ${p.owner.name} -n ${p.namespace} -o jsonpath='{.metadata.ownerReferences[0].name}')`;
  return `kubectl delete pod ${p.name} -n ${p.namespace} (it has no controller: recreate it from its manifest afterwards)`;
}

function restartCommand(p: PodFact): string {
  return p.owner
    ? `kubectl delete pod ${p.name} -n ${p.namespace} (its ${p.owner.kind} ${p.owner.name} recreates it)`
    : `recreate pod ${p.name} -n ${p.namespace} from its manifest (it has no controller, so deleting it does not bring it back)`;
}

const setRequest = (pvc: PvcFact, size: string) => `kubectl patch pvc ${pvc.name} -n ${pvc.namespace} -p '{"spec":{"resources":{"requests":{"storage":"${size}"}}}}'`;

const resizerPods = 'kubectl get pods -A | grep -i -e resizer -e csi';

/** The API server accepts a smaller request only above status.capacity, and only with RecoverVolumeExpansionFailure. */
const REQUEST_FLOOR = 'the API server refuses a request at or below status.capacity, and any smaller request without the RecoverVolumeExpansionFailure feature (on by default since Kubernetes 1.32)';

function lowerRequest(pvc: PvcFact): string {
  return `Lower the request to a size the backend can provide, larger than the current ${pvc.capacityStorage ?? 'status.capacity'} (${REQUEST_FLOOR}): ${setRequest(pvc, 'SIZE')}`;
}

interface Diagnosis {
  cause: string;
  explanation: string;
  remedies: string[];
}

function diagnose(graph: Graph, f: Facts): Diagnosis {
  const { pvc } = f;
  const pv = pvc.volumeName ? graph.pv(pvc.volumeName) : undefined;
  const driver = pv?.csi?.driver ?? pvc.annotations[STORAGE_RESIZER_ANNOTATION] ?? graph.snapshot.storageClasses.find((s) => s.name === pvc.storageClassName)?.provisioner;
  const named = driver ? `driver ${driver}` : 'the volume\'s driver';
  const newest = f.errors[0];
  const running = f.users.filter((p) => p.phase === 'Running' && p.nodeName);
  const status = pvc.resizeStatus;

  if (status === 'ControllerResizeInfeasible' || status === 'NodeResizeInfeasible') {
    const where = status === 'ControllerResizeInfeasible' ? 'the storage backend' : 'the node';
    return {
      cause: `${where} refused the expansion as infeasible (${status}): ${pvc.requestedStorage ?? 'the requested size'} cannot be reached, and the resizer will not retry it${newest ? `: ${newest.message}` : ''}`,
      explanation: `allocatedResourceStatuses.storage=${status} means the ${status.startsWith('Controller') ? 'resizer\'s ControllerExpandVolume' : 'kubelet\'s NodeExpandVolume'} call failed with an error that retrying cannot fix (for example a size above the volume type's maximum, or an invalid argument). The claim keeps its old capacity and works as before; only the larger size is refused.${newest?.cls ? ` Likely cause: ${newest.cls.cause}.` : ''}`,
      remedies: [
        ...(newest?.cls ? [newest.cls.nextStep] : []),
        `${lowerRequest(pvc)}; the resizer starts again from the new request.`,
      ],
    };
  }

  const offline = f.errors.find((e) => e.cls?.id === 'offline-expansion-only');
  if (offline) {
    const holders = f.users.filter((p) => p.nodeName);
    return {
      cause: `${named} can only expand a volume that is not in use (offline expansion), and ${holders.length ? `pod ${holders.map(shortName).join(', ')} uses it` : 'the volume was in use when the resizer last tried'}`,
      explanation: 'The driver has no online expansion: ControllerExpandVolume refuses a volume that is published to a node (gRPC FailedPrecondition), and the external-resizer does not retry while a pod uses the claim. Nothing changes until the volume is detached.',
      remedies: [
        `Stop what uses the claim: ${holders.length ? holders.map(stopCommand).join('; ') : 'the pods that mount it'}.`,
        `Wait until the volume is detached (${pv ? kubectl.vasForPv(pv.name) : 'kubectl get volumeattachments'} shows nothing); the resizer then expands it by itself (kubectl get pvc ${pvc.name} -n ${pvc.namespace} -w).`,
        'Start the workload again; the file system grows when the pod mounts the volume.',
      ],
    };
  }

  if (newest) {
    const where = newest.node ? 'on the node (the kubelet growing the file system)' : 'in the storage backend (the resizer\'s ControllerExpandVolume)';
    const nodes = [...new Set(f.users.flatMap((p) => (p.nodeName ? [p.nodeName] : [])))];
    return {
      cause: `the expansion fails ${where}: ${newest.message}`,
      explanation: `The resize is retried with backoff and keeps failing.${newest.cls ? ` Likely cause: ${newest.cls.cause}.` : ' volume-doctor does not recognise this message; it is quoted as the cluster shows it.'}`,
      remedies: [
        ...(newest.cls ? [newest.cls.nextStep] : []),
        newest.node
          ? `The node's account: journalctl -u kubelet | grep ${pvc.volumeName ?? pvc.name} on ${nodes.join(', ') || 'the pod\'s node'}, and the CSI node plugin's logs there (kubectl get pods -A -o wide --field-selector spec.nodeName=${nodes[0] ?? 'NODE'} | grep -i csi).`
          : `The resizer's account: the csi-resizer container's logs in ${named}'s controller pod (${resizerPods}).`,
      ],
    };
  }

  if (has(f, 'FileSystemResizePending') || status === 'NodeResizePending') {
    const volume = pv?.capacityStorage ? ` (the volume is now ${pv.capacityStorage})` : '';
    if (running.length) {
      return {
        cause: `the volume has been expanded${volume}, but the file system has not grown while pod ${running.map((p) => `${shortName(p)} runs on ${p.nodeName}`).join(', ')}`,
        explanation: 'The controller part of the resize is done (FileSystemResizePending / NodeResizePending); the file system is grown by the kubelet on the node that mounts the volume, online for a mounted volume when the driver supports it, otherwise when a pod (re)starts on it. That has not happened.',
        remedies: [
          `Restart the pod so the kubelet grows the file system when it mounts the volume again: ${running.map(restartCommand).join('; ')}.`,
          `If it still does not grow, the node's account: journalctl -u kubelet | grep ${pvc.volumeName ?? pvc.name} on ${running[0].nodeName}.`,
        ],
      };
    }
    return {
      cause: `the volume has been expanded${volume}; the file system grows when a pod mounts the claim, and ${f.users.length ? `pod ${f.users.map((p) => `${shortName(p)} is ${podState(graph, p)}`).join(', ')}` : 'no pod uses it'}`,
      explanation: 'The controller part of the resize is done (FileSystemResizePending / NodeResizePending); the last step, growing the file system, is done by the kubelet when a pod starts with the volume. Nothing is broken.',
      remedies: [
        f.users.length
          ? `Let the pod start (${kubectl.describePod(f.users[0])} says what it waits for); the file system grows as it mounts the volume.`
          : 'Start the workload that uses the claim; the file system grows when its pod mounts the volume. No other step is needed.',
      ],
    };
  }

  if (status === 'NodeResizeInProgress') {
    const nodes = running.map((p) => p.nodeName!);
    return {
      cause: `the kubelet has been growing the file system for longer than ${formatDuration(RESIZE_GRACE_MS)} (NodeResizeInProgress)${nodes.length ? ` on ${nodes.join(', ')}` : ''}`,
      explanation: 'The controller part is done and the kubelet started NodeExpandVolume, which has not finished or reported.',
      remedies: [
        `The node's account: journalctl -u kubelet | grep ${pvc.volumeName ?? pvc.name}${nodes.length ? ` on ${nodes.join(', ')}` : ''}, and the CSI node plugin's logs there.`,
        ...(running.length ? [`Restarting the pod makes the kubelet try again as it mounts the volume: ${running.map(restartCommand).join('; ')}.`] : []),
      ],
    };
  }

  const started = has(f, 'Resizing') || status === 'ControllerResizeInProgress' || f.claimEvents.some((e) => e.reason === 'Resizing');
  if (started) {
    return {
      cause: `the resizer started expanding the volume (${status ?? 'Resizing'}) and has not finished`,
      explanation: `A healthy ControllerExpandVolume finishes within seconds to a couple of minutes. This one has not finished or failed: the call hangs in ${named}'s controller or the storage backend.`,
      remedies: [
        `The resizer's account: the csi-resizer container's logs in ${named}'s controller pod (${resizerPods}).`,
        'Then the backend\'s own view of the volume (a cloud disk modification, a storage pool task) for an operation that is stuck.',
      ],
    };
  }

  const external = f.claimEvents.find((e) => e.reason === 'ExternalExpanding' && EXTERNAL_EXPANDING.test(e.message));
  const sc = pvc.storageClassName ? graph.snapshot.storageClasses.find((s) => s.name === pvc.storageClassName) : undefined;
  const classRefuses = sc && !sc.allowVolumeExpansion;
  const nothing = external
    ? 'the expand controller handed it to an external resizer ("waiting for an external controller to expand this PVC") and no resizer has picked it up (no Resizing condition, no resize status)'
    : `no resizer has acted on it (no Resizing condition, no resize status, no resize event${graph.wasRead('events') ? '; events expire after an hour' : '; events could not be read'})`;
  return {
    cause: classRefuses
      ? `its StorageClass ${sc.name} does not allow expansion, and ${nothing}`
      : `${nothing}: no csi-resizer is running for ${named}, or the driver does not support expansion`,
    explanation: `Expanding a CSI volume is the job of the csi-resizer sidecar in the driver's controller pod; the expand controller in kube-controller-manager only records ExternalExpanding and waits. The resizer picks up a claim within seconds and sets the Resizing condition; none did.${classRefuses ? ` The API server refuses a larger request on a class without allowVolumeExpansion, so the class was changed after the request was made, or this claim came from elsewhere (a restore, a dump).` : ''}`,
    remedies: [
      `Is a resizer running for ${named}? ${resizerPods}; then its logs (a resizer for another driver name ignores this claim).`,
      `If ${named} does not support expansion (its documentation, or ControllerGetCapabilities without EXPAND_VOLUME), the size cannot grow, and the request cannot go back to ${pvc.capacityStorage ?? 'status.capacity'} either (${REQUEST_FLOOR}): the claim keeps working at its current size, and more space means copying the data to a new, larger claim.`,
      ...(classRefuses ? [`If the driver does support expansion, allow it on the class: kubectl patch storageclass ${sc.name} -p '{"allowVolumeExpansion":true}'`] : []),
    ],
  };
}

export const pvcExpansionStuck = defineCheck({
  id: ID,
  title: 'Claim expansion does not finish',
  severity: 'critical',
  reads: ['persistentvolumeclaims', 'persistentvolumes', 'storageclasses', 'pods', 'events'],
  docs: `A Bound claim asks for more storage (spec.resources.requests.storage) than it has (status.capacity.storage), and the resize has not finished after ${formatDuration(RESIZE_GRACE_MS)}; or a pod that uses the claim cannot start because growing its file system fails. volume-doctor says where the resize stands and why:
  - nothing acted on it: the expand controller recorded ExternalExpanding ("waiting for an external controller to expand this PVC") and no Resizing condition or resize status followed: the driver's csi-resizer sidecar is not running, or the driver does not support expansion;
  - the driver supports only offline expansion (VolumeResizeFailed "... only supports offline expansion and volume is currently in-use", or gRPC FailedPrecondition) and a pod still uses the volume;
  - its StorageClass does not allow expansion (allowVolumeExpansion unset): the API server refuses such a request, so the class was changed afterwards or the claim came from elsewhere;
  - FileSystemResizePending (allocatedResourceStatuses NodeResizePending): the volume is expanded and the file system grows when a pod (re)starts on it, or online by the kubelet for a mounted volume; volume-doctor names the pod and whether it runs;
  - ControllerResizeInfeasible / NodeResizeInfeasible: the size cannot be reached and the resizer will not retry; with RecoverVolumeExpansionFailure the request can be lowered to a reachable size, which must stay above status.capacity;
  - errors (VolumeResizeFailed and FileSystemResizeFailed events, the ControllerResizeError and NodeResizeError conditions, a FailedMount while expanding): quoted verbatim, with their cause and a safe next step when volume-doctor recognises them;
  - a resize started (Resizing, ControllerResizeInProgress, NodeResizeInProgress) that neither finished nor failed.

Severity: warning; critical when a pod that uses the claim waits to start, or after ${formatDuration(VOLUME_WAIT_CRITICAL_MS)} with an error. Not reported: a resize within its grace (except an infeasible one, which is final), a claim whose capacity meets its request (whatever old VolumeResizeFailed events say), events of an earlier claim or pod of the same name.

How Kubernetes gets there: a user raises the claim's request. The expand controller (kube-controller-manager) leaves CSI volumes to the csi-resizer sidecar of the driver, which sets the Resizing condition (and allocatedResources / allocatedResourceStatuses on 1.31+), calls ControllerExpandVolume, updates the PV's capacity and, when the file system must grow too, sets FileSystemResizePending. The kubelet then calls NodeExpandVolume on the node that mounts the volume and sets status.capacity.

Confirm by hand:
  kubectl get pvc CLAIM -n NS -o yaml      (spec.resources.requests, status.capacity, status.allocatedResourceStatuses, status.conditions)
  kubectl describe pvc CLAIM -n NS      (Events: ExternalExpanding, Resizing, VolumeResizeFailed, FileSystemResizeRequired)
  kubectl get pv PV -o jsonpath='{.spec.capacity.storage}'
  ${resizerPods}

Safe fix: as the cause says: start the driver's csi-resizer, stop the pods for an offline-only driver, restart the pod for a pending file system resize, or lower the request to a size the backend can reach (the API server accepts a smaller request only above status.capacity, and only with RecoverVolumeExpansionFailure) when the size cannot be reached.

Never: delete and recreate the claim to get a bigger volume (with a Delete reclaim policy that deletes the data), or edit the PV's capacity by hand to make the numbers agree (the file system stays small).`,
  run(graph) {
    const findings: FindingDraft[] = [];
    for (const pvc of graph.snapshot.pvcs) {
      if (pvc.phase !== 'Bound' || pvc.deletionTimestamp) continue;
      const f = gather(graph, pvc);
      const gap = f.requested !== undefined && f.capacity !== undefined && f.requested > f.capacity;
      const blocked = f.podEvents.some(({ pod }) => f.waiting.includes(pod));
      if (!gap && !blocked) continue;
      const infeasible = pvc.resizeStatus?.endsWith('Infeasible') ?? false;
      const waitedMs = f.since ? graph.now - toMillis(f.since)! : undefined;
      if (waitedMs !== undefined && waitedMs < RESIZE_GRACE_MS && !infeasible) continue;
      const d = diagnose(graph, f);
      const critical = f.waiting.length > 0 || (f.errors.length > 0 && (waitedMs ?? 0) >= VOLUME_WAIT_CRITICAL_MS);
      const pv = pvc.volumeName ? graph.pv(pvc.volumeName) : undefined;
      const sc = pvc.storageClassName ? graph.snapshot.storageClasses.find((s) => s.name === pvc.storageClassName) : undefined;
      const duration = waitedMs === undefined ? ' (since when is unknown)' : ` for ${formatDuration(waitedMs)}`;
      const state = gap ? `has been resizing from ${pvc.capacityStorage} to ${pvc.requestedStorage}` : 'has had its file system resize failing on the node';
      const related: ObjectRef[] = [...f.users.map(podRef), ...(pvc.volumeName ? [pvRef(pvc.volumeName)] : [])];
      if (pvc.storageClassName) related.push({ kind: 'StorageClass', name: pvc.storageClassName });
      const shown = f.errors.slice(0, 3);
      findings.push(finding({
        severity: critical ? 'critical' : 'warning',
        subject: pvcRef(pvc),
        related,
        summary: `Claim ${shortName(pvc)} ${state}${duration}: ${d.cause}${f.waiting.length ? `; ${f.waiting.map(shortName).join(', ')} cannot start` : ''}`,
        evidence: [
          `persistentvolumeclaim/${pvc.name} -n ${pvc.namespace}: requests ${pvc.requestedStorage ?? '(unset)'}, capacity ${pvc.capacityStorage ?? '(unset)'}${pvc.allocatedStorage ? `, allocatedResources ${pvc.allocatedStorage}` : ''}${pvc.resizeStatus ? `, allocatedResourceStatuses ${pvc.resizeStatus}` : ''}${pvc.annotations[STORAGE_RESIZER_ANNOTATION] ? `, resizer ${pvc.annotations[STORAGE_RESIZER_ANNOTATION]}` : ''}`,
          ...(pv ? [`persistentvolume/${pv.name}: capacity ${pv.capacityStorage ?? '(unset)'}${pv.csi ? `, driver ${pv.csi.driver}` : ''}`] : []),
          ...(sc ? [`storageclass/${sc.name}: provisioner ${sc.provisioner}, allowVolumeExpansion ${sc.allowVolumeExpansion}`] : []),
          ...f.conditions.filter((c) => !c.type.endsWith('Error')).map(conditionLine),
          ...f.claimEvents.filter((e) => e.type !== 'Warning').map((e) => eventLine(e)),
          ...shown.flatMap((e) => [e.line, classificationLine(e.cls)]),
          ...(f.errors.length > shown.length ? [`${f.errors.length - shown.length} older resize error(s) not shown`] : []),
          ...f.users.map((p) => `used by pod ${shortName(p)}: ${podState(graph, p)}`),
        ],
        explanation: d.explanation,
        remedies: [
          ...d.remedies,
          'Do not delete and recreate the claim to get a bigger volume (with a Delete reclaim policy that deletes the data), and do not edit the PV\'s capacity by hand (the file system stays small).',
        ],
        since: f.since,
        blocks: f.waiting.map(podRef),
      }));
    }
    return findings;
  },
});
