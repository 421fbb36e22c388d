import type { Severity } from '../model/finding.js';
import { defineCheck, type FindingDraft } from './check.js';
import { SEVERITY_RANK, names } from '../model/finding.js';
import type { EventFact, ObjectRef, PodFact, PvcFact } from '../model/snapshot.js';
import type { Graph } from '../graph.js';
import { quantityBytes } from '../graph.js';
import { nodeRef, podRef, pvRef, pvcRef, shortName } from '../util/refs.js';
import { formatDuration, toMillis } from '../util/time.js';
import { finding, kubectl } from './common.js';
import { afterLastResizeSuccess } from './pvc-expansion-stuck.js';
import { RESIZE_GRACE_MS, VOLUME_WAIT_CRITICAL_MS, WAITING_POD_GRACE_MS } from './thresholds.js';

const ID = 'volume-wait-unexplained';

/** Warning reasons the kubelet and the attach/detach and expand controllers record on a pod about its volumes. */
const POD_VOLUME_REASONS = new Set(['FailedAttachVolume', 'FailedMount', 'FailedMapVolume', 'FileSystemResizeFailed', 'VolumeResizeFailed']);

/**
 * Scheduler text that is about volumes or claims: "had volume node affinity conflict", "exceed max volume count",
 * "pod has unbound immediate PersistentVolumeClaims", "didn't find available persistent volumes to bind",
 * "... PersistentVolumeClaim with the same name and ReadWriteOncePod access mode", "did not have enough free storage",
 * "persistentvolumeclaim \"x\" not found", "bound to non-existent pv(s)".
 */
// Dynamic Resource Allocation speaks of claims too ("cannot allocate all claims", "resourceclaim ... not found"):
// those are devices, not volumes.
export const VOLUME_SCHEDULING_TEXT = /volume|persistentvolumeclaim|\bpvcs?\b|\bpv\(s\)|(?<![\w-]|resource |allocate all )claims?\b|ReadWriteOncePod|free storage/i;

/** Claim conditions that mean a resize has started and not finished. */
const RESIZE_CONDITIONS = new Set(['Resizing', 'FileSystemResizePending', 'ControllerResizeError', 'NodeResizeError']);
const RESIZE_ERROR_CONDITIONS = new Set(['ControllerResizeError', 'NodeResizeError']);
/** Normal events that say a resize is waiting for someone else (the external resizer, or a pod start). */
const RESIZE_NORMAL_EVENTS = new Set(['ExternalExpanding', 'FileSystemResizeRequired', 'Resizing']);

interface Signal {
  /** Event reason, or `<condition type>=<status>`. */
  reason: string;
  message: string;
  /** When it was last seen; conditions describe the present and sort first. */
  at: number;
  warning: boolean;
  line: string;
}

const eventTime = (e: EventFact) => toMillis(e.lastTimestamp ?? e.firstTimestamp);

export function eventSignal(e: EventFact): Signal {
  return {
    reason: e.reason,
    message: e.message,
    at: eventTime(e) ?? 0,
    warning: e.type === 'Warning',
    line: `event ${e.reason} (${e.type}, x${e.count}, first ${e.firstTimestamp ?? 'unknown'}, last ${e.lastTimestamp ?? 'unknown'}${e.component ? `, from ${e.component}` : ''}): ${e.message}`,
  };
}

export function conditionSignal(graph: Graph, c: PodFact['conditions'][number], warning: boolean): Signal {
  const detail = [c.reason, c.lastTransitionTime ? `since ${c.lastTransitionTime}` : undefined].filter(Boolean).join(', ');
  return {
    reason: `${c.type}=${c.status}`,
    message: c.message ?? c.reason ?? c.type,
    // A condition's message describes the present; one without a message dates from its transition.
    at: c.message ? graph.now : (toMillis(c.lastTransitionTime) ?? 0),
    warning,
    line: `condition ${c.type}=${c.status}${detail ? ` (${detail})` : ''}: ${c.message ?? '(no message)'}`,
  };
}

/** The message to quote first: warnings before progress reports, then the newest. */
const newestFirst = (a: Signal, b: Signal) => Number(b.warning) - Number(a.warning) || b.at - a.at;

/** A pod inside the never-silent rule: waiting on volumes past the grace, with a volume warning of its own. */
export interface WaitingPod {
  pod: PodFact;
  waitedMs: number;
  signals: Signal[];
}

/** A claim inside the rule: Pending or resizing past the grace, with a warning event or condition of its own. */
export interface WaitingClaim {
  pvc: PvcFact;
  resizing: boolean;
  waitedMs: number;
  since?: string;
  signals: Signal[];
}

/** The pod's own volume warnings, of its current incarnation. */
function podSignals(graph: Graph, pod: PodFact): Signal[] {
  const signals = graph.eventsFor('Pod', pod.namespace, pod.name)
    .filter((e) => e.type === 'Warning' && graph.isCurrentEvent(pod, e))
    .filter((e) => POD_VOLUME_REASONS.has(e.reason) || (e.reason === 'FailedScheduling' && !pod.nodeName && VOLUME_SCHEDULING_TEXT.test(e.message)))
    .map(eventSignal);
  if (!pod.nodeName) {
    const scheduled = pod.conditions.find((c) => c.type === 'PodScheduled' && c.status === 'False' && c.message && VOLUME_SCHEDULING_TEXT.test(c.message));
    if (scheduled) signals.push(conditionSignal(graph, scheduled, true));
  }
  return signals.sort(newestFirst);
}

function waitingPods(graph: Graph): WaitingPod[] {
  const out: WaitingPod[] = [];
  for (const pod of graph.allPods()) {
    if (!graph.waitsOnVolumes(pod)) continue;
    const waitedMs = graph.waitingForMs(pod);
    if (waitedMs < WAITING_POD_GRACE_MS) continue;
    const signals = podSignals(graph, pod);
    if (signals.length) out.push({ pod, waitedMs, signals });
  }
  return out;
}

function isResizing(pvc: PvcFact): boolean {
  const requested = quantityBytes(pvc.requestedStorage);
  const capacity = quantityBytes(pvc.capacityStorage);
  return (requested !== undefined && capacity !== undefined && requested > capacity)
    || !!pvc.resizeStatus
    || pvc.conditions.some((c) => RESIZE_CONDITIONS.has(c.type) && c.status === 'True');
}

function waitingClaims(graph: Graph): WaitingClaim[] {
  const out: WaitingClaim[] = [];
  for (const pvc of graph.snapshot.pvcs) {
    if (pvc.deletionTimestamp) continue;
    const events = graph.eventsFor('PersistentVolumeClaim', pvc.namespace, pvc.name).filter((e) => graph.isCurrentEvent(pvc, e));
    if (pvc.phase === 'Pending') {
      const waitedMs = graph.now - (toMillis(pvc.creationTimestamp) ?? graph.now);
      const signals = events.filter((e) => e.type === 'Warning').map(eventSignal).sort(newestFirst);
      if (waitedMs >= WAITING_POD_GRACE_MS && signals.length) out.push({ pvc, resizing: false, waitedMs, since: pvc.creationTimestamp, signals });
      continue;
    }
    if (pvc.phase !== 'Bound' || !isResizing(pvc)) continue;
    const resizeEvents = events.filter(afterLastResizeSuccess(events)).filter((e) => e.type === 'Warning' || RESIZE_NORMAL_EVENTS.has(e.reason));
    const conditions = pvc.conditions.filter((c) => RESIZE_CONDITIONS.has(c.type) && c.status === 'True');
    const signals = [
      ...conditions.map((c) => conditionSignal(graph, c, RESIZE_ERROR_CONDITIONS.has(c.type))),
      ...resizeEvents.map(eventSignal),
    ].sort(newestFirst);
    // Since when it has been resizing: the oldest sign of this resize. With no dated sign it cannot be judged.
    const starts = [
      ...conditions.map((c) => c.lastTransitionTime),
      ...resizeEvents.map((e) => e.firstTimestamp ?? e.lastTimestamp),
    ].filter((t): t is string => toMillis(t) !== undefined).sort((a, b) => toMillis(a)! - toMillis(b)!);
    const since = starts[0];
    if (!since || !signals.length) continue;
    const waitedMs = graph.now - toMillis(since)!;
    if (waitedMs >= RESIZE_GRACE_MS) out.push({ pvc, resizing: true, waitedMs, since, signals });
  }
  return out;
}

// ---- what was checked ---------------------------------------------------------------------------

interface Checked {
  healthy: string[];
  unhealthy: string[];
  unknown: string[];
}

function checkPod(graph: Graph, pod: PodFact): Checked {
  const c: Checked = { healthy: [], unhealthy: [], unknown: [] };
  const node = pod.nodeName;
  if (node) {
    const h = graph.nodeHealth(node);
    if (h.unknown) c.unknown.push(`node ${node} (${h.describe})`);
    else if (h.ready) c.healthy.push(`node ${node} Ready`);
    else c.unhealthy.push(`node ${node} ${h.describe}`);
  } else if (graph.wasRead('nodes') && graph.allNodes().length) {
    const ready = graph.allNodes().filter((n) => n.ready === 'True').length;
    (ready ? c.healthy : c.unhealthy).push(`${ready} of ${graph.allNodes().length} nodes Ready`);
  }
  for (const v of graph.podVolumes(pod)) {
    if (!v.pvc) {
      if (graph.wasRead('persistentvolumeclaims')) c.unhealthy.push(`claim ${v.claimName} does not exist`);
      else c.unknown.push(`claim ${v.claimName} (claims could not be read)`);
      continue;
    }
    if (v.pvc.phase !== 'Bound') { c.unhealthy.push(`claim ${v.claimName} ${v.pvc.phase}`); continue; }
    c.healthy.push(`claim ${v.claimName} Bound${v.pvc.volumeName ? ` to ${v.pvc.volumeName}` : ''}`);
    const pv = v.pv;
    if (!pv) {
      if (v.pvc.volumeName && graph.wasRead('persistentvolumes') && graph.snapshot.pvs.length) c.unhealthy.push(`persistentvolume ${v.pvc.volumeName} does not exist`);
      else if (v.pvc.volumeName) c.unknown.push(`persistentvolume ${v.pvc.volumeName} (not read)`);
      continue;
    }
    if (!node) continue;
    if (pv.csi) {
      const drivers = graph.csiNodeDrivers(node);
      if (drivers?.includes(pv.csi.driver)) c.healthy.push(`CSI driver ${pv.csi.driver} registered on ${node}`);
      else if (drivers) c.unhealthy.push(`CSI driver ${pv.csi.driver} not registered on ${node}`);
      else if (graph.wasRead('csinodes') && graph.snapshot.csiNodes.length) c.unhealthy.push(`no CSINode for ${node}`);
      else c.unknown.push(`CSI driver registration on ${node} (CSINodes not read)`);
    }
    if (!graph.isAttachable(pv)) continue;
    const vasUnknown = !graph.wasRead('volumeattachments') || (graph.snapshot.source.type === 'file' && graph.allVolumeAttachments().length === 0);
    if (vasUnknown) {
      c.unknown.push(`VolumeAttachments of ${pv.name} (${graph.wasRead('volumeattachments') ? 'the dump holds none' : 'could not be read'})`);
    } else {
      const vas = graph.attachmentsOfPv(pv.name);
      const failing = vas.filter((va) => va.attachError);
      if (failing.length) c.unhealthy.push(...failing.map((va) => `volumeattachment/${va.name} attach error: ${va.attachError!.message}`));
      else c.healthy.push(`no VolumeAttachment error for ${pv.name}`);
    }
    if (graph.isAttachedTo(pv, node)) c.healthy.push(`${pv.name} attached to ${node}`);
    else c.unhealthy.push(`${pv.name} not attached to ${node} yet`);
    const others = graph.nodesHolding(pv, node);
    if (others.length) c.unhealthy.push(`${pv.name} also held on ${others.join(', ')}`);
    else if (!vasUnknown && !graph.nodesUnread) c.healthy.push(`${pv.name} not attached to another node`);
  }
  return c;
}

function checkClaim(graph: Graph, pvc: PvcFact): Checked {
  const c: Checked = { healthy: [], unhealthy: [], unknown: [] };
  const className = pvc.storageClassName;
  if (className) {
    const sc = graph.snapshot.storageClasses.find((s) => s.name === className);
    if (sc) {
      c.healthy.push(`StorageClass ${className} exists (provisioner ${sc.provisioner})`);
      const p = sc.provisioner;
      if (p.includes('.') && !p.startsWith('kubernetes.io/') && graph.wasRead('csinodes') && graph.snapshot.csiNodes.length) {
        const on = graph.snapshot.csiNodes.filter((n) => n.drivers.includes(p)).length;
        (on ? c.healthy : c.unhealthy).push(`CSI driver ${p} registered on ${on} node(s)`);
      }
    } else if (graph.wasRead('storageclasses') && graph.snapshot.storageClasses.length) c.unhealthy.push(`StorageClass ${className} does not exist`);
    else c.unknown.push(`StorageClass ${className} (not read)`);
  }
  if (pvc.volumeName) {
    const pv = graph.pv(pvc.volumeName);
    if (pv) c.healthy.push(`persistentvolume ${pv.name} exists (${pv.phase})`);
    else c.unknown.push(`persistentvolume ${pvc.volumeName} (not read)`);
  }
  return c;
}

function checkedLines(c: Checked): string[] {
  return [
    ...(c.healthy.length ? [`checked and found healthy: ${c.healthy.join(', ')}`] : []),
    ...(c.unhealthy.length ? [`checked and found not healthy: ${c.unhealthy.join(', ')}`] : []),
    ...(c.unknown.length ? [`could not check: ${c.unknown.join(', ')}`] : []),
  ];
}

const severityFor = (waitedMs: number, canBeCritical = true): Severity => (canBeCritical && waitedMs >= VOLUME_WAIT_CRITICAL_MS ? 'critical' : 'warning');

const eventsCommand = (kind: string, namespace: string, name: string) =>
  `kubectl get events -n ${namespace} --field-selector involvedObject.kind=${kind},involvedObject.name=${name} --sort-by=.lastTimestamp`;

function podRemedies(graph: Graph, pod: PodFact, newest: Signal): string[] {
  const volumes = graph.podVolumes(pod);
  const out = [`Read the pod's own account first: ${kubectl.describePod(pod)}`, `Its events, oldest first: ${eventsCommand('Pod', pod.namespace, pod.name)}`];
  if (newest.reason === 'FailedAttachVolume') {
    for (const v of volumes) if (v.pv) out.push(`Where ${v.pv.name} is attached: ${kubectl.vasForPv(v.pv.name)}`);
    if (!volumes.some((v) => v.pv)) out.push('Where its volumes are attached: kubectl get volumeattachments -o wide');
    out.push('Then the CSI driver\'s csi-attacher sidecar logs (the controller pod of the driver), which carry the storage backend\'s answer.');
  } else if (newest.reason === 'FailedMount' || newest.reason === 'FailedMapVolume' || newest.reason === 'FileSystemResizeFailed') {
    out.push(`On node ${pod.nodeName ?? '(its node)'}: journalctl -u kubelet | grep ${pod.uid || pod.name}; and the CSI node plugin's logs there: kubectl get pods -A -o wide --field-selector spec.nodeName=${pod.nodeName ?? 'NODE'} | grep -i csi`);
  } else if (!pod.nodeName) {
    for (const v of volumes) {
      out.push(`Claim ${v.claimName}: kubectl describe pvc ${v.claimName} -n ${pod.namespace}${v.pvc?.volumeName ? `; where its volume may run: kubectl get pv ${v.pvc.volumeName} -o jsonpath='{.spec.nodeAffinity}'` : ''}`);
    }
    out.push('Node labels and attach limits to compare with: kubectl get nodes --show-labels; kubectl get csinodes -o yaml');
  }
  out.push('Do not force-delete the pod or delete a VolumeAttachment to make it retry before the cause is known: another node may still be using the volume.');
  return out;
}

function claimRemedies(pvc: PvcFact, resizing: boolean): string[] {
  return [
    `Read the claim's own account first: kubectl describe pvc ${pvc.name} -n ${pvc.namespace}`,
    `Its events, oldest first: ${eventsCommand('PersistentVolumeClaim', pvc.namespace, pvc.name)}`,
    resizing
      ? `Where the resize stands: kubectl get pvc ${pvc.name} -n ${pvc.namespace} -o jsonpath='{.status}'; then the CSI driver's csi-resizer sidecar logs (an offline-only driver needs the pod stopped; FileSystemResizePending needs a pod to (re)start on the volume).`
      : `The provisioner: kubectl get storageclass ${pvc.storageClassName ?? '(default)'} -o yaml, then its csi-provisioner sidecar logs.`,
    'Do not delete the claim to retry: with a Delete reclaim policy that deletes the data.',
  ];
}

export const volumeWaitUnexplained = defineCheck({
  id: ID,
  title: 'Pod or claim waits on a volume with warnings no other check explains',
  severity: 'critical',
  reads: ['pods', 'persistentvolumeclaims', 'persistentvolumes', 'volumeattachments', 'nodes', 'csinodes', 'storageclasses', 'events'],
  phase: 'fallback',
  docs: `The never-silent rule. A pod that is Pending (scheduled or not) and still before the volume stage (ContainerCreating), or a claim that is Pending, for longer than ${formatDuration(WAITING_POD_GRACE_MS)} (a claim resizing: ${formatDuration(RESIZE_GRACE_MS)}), and that has a volume warning of its own (FailedAttachVolume, FailedMount, FailedMapVolume, FailedScheduling or a PodScheduled=False condition naming volumes or claims, ProvisioningFailed, VolumeResizeFailed, ExternalExpanding, a Resizing, FileSystemResizePending, ControllerResizeError or NodeResizeError condition), always gets a finding at warning or critical that names it. This check runs after all the others and speaks only when none of them named the pod or claim at warning or above: it quotes the newest message verbatim, says how long it has waited, what volume-doctor checked and found healthy, and what to run next.

Severity grows with the wait: warning after ${formatDuration(WAITING_POD_GRACE_MS)}, critical after ${formatDuration(VOLUME_WAIT_CRITICAL_MS)} (a claim whose resize only waits, with no error and no pod waiting on it, stays a warning).

Not reported: pods that have started (or reached ImagePullBackOff, CrashLoopBackOff: their volumes are mounted), pods being deleted, waits within the grace, and events of an earlier pod of the same name (another UID, or last seen before this pod was created).

How Kubernetes gets there: any cause volume-doctor has no dedicated check for yet; the message is Kubernetes' own account of it.

Confirm by hand:
  kubectl describe pod POD -n NS      (or kubectl describe pvc CLAIM -n NS)
  kubectl get events -n NS --field-selector involvedObject.name=POD --sort-by=.lastTimestamp
  kubectl get volumeattachments -o wide

Safe fix: act on what the quoted message names; the controllers and the kubelet retry by themselves.

Never: force-delete the pod, delete a VolumeAttachment or delete the claim to "retry" before the cause is known.`,
  run(graph, earlier = []) {
    const named = (ref: ObjectRef) => earlier.some((f) => SEVERITY_RANK[f.severity] >= SEVERITY_RANK.warning && names(f, ref));
    const findings: FindingDraft[] = [];
    const mine: ObjectRef[] = [];
    for (const { pod, waitedMs, signals } of waitingPods(graph)) {
      if (named(podRef(pod))) continue;
      const newest = signals[0];
      const checked = checkPod(graph, pod);
      const volumes = graph.podVolumes(pod);
      const state = pod.nodeName ? `${pod.waitingReasons[0] ?? 'Pending'} on ${pod.nodeName}` : 'Pending, not scheduled';
      const related: ObjectRef[] = [
        ...volumes.map((v) => pvcRef({ namespace: pod.namespace, name: v.claimName })),
        ...volumes.flatMap((v) => (v.pv ? [pvRef(v.pv.name)] : [])),
        ...(pod.nodeName ? [nodeRef(pod.nodeName)] : []),
      ];
      mine.push(...related);
      findings.push(finding({
        severity: severityFor(waitedMs),
        subject: podRef(pod),
        related,
        summary: `Pod ${shortName(pod)} has been ${state} for ${formatDuration(waitedMs)}; newest ${newest.reason}: ${newest.message}${checked.healthy.length ? ` (checked and healthy: ${checked.healthy.join(', ')})` : ''}`,
        evidence: [
          `pod ${shortName(pod)}: ${state}, waiting ${formatDuration(waitedMs)} (since ${pod.scheduledAt ?? pod.creationTimestamp ?? 'unknown'})`,
          ...signals.slice(0, 5).map((s) => s.line),
          ...(signals.length > 5 ? [`${signals.length - 5} older volume warning(s) not shown`] : []),
          ...checkedLines(checked),
        ],
        explanation: `The pod has waited longer than ${formatDuration(WAITING_POD_GRACE_MS)} with volume warnings, and no other volume-doctor check recognised the cause. The newest message, quoted above as Kubernetes wrote it, is the best lead.`,
        remedies: podRemedies(graph, pod, newest),
        since: pod.scheduledAt ?? pod.creationTimestamp,
        blocks: [podRef(pod)],
      }));
    }
    for (const { pvc, resizing, waitedMs, since, signals } of waitingClaims(graph)) {
      const ref = pvcRef(pvc);
      if (named(ref) || mine.some((r) => r.kind === ref.kind && r.name === ref.name && r.namespace === ref.namespace)) continue;
      const newest = signals[0];
      const checked = checkClaim(graph, pvc);
      const users = graph.podsUsingClaim(pvc.namespace, pvc.name).filter((p) => !p.deletionTimestamp);
      const waiting = users.filter((p) => graph.waitsOnVolumes(p));
      const failing = signals.some((s) => s.warning);
      const state = resizing
        ? `resizing${pvc.capacityStorage && pvc.requestedStorage ? ` from ${pvc.capacityStorage} to ${pvc.requestedStorage}` : ''}${pvc.resizeStatus ? ` (${pvc.resizeStatus})` : ''}`
        : 'Pending';
      findings.push(finding({
        severity: severityFor(waitedMs, !resizing || failing || waiting.length > 0),
        subject: ref,
        related: [...users.map(podRef), ...(pvc.volumeName ? [pvRef(pvc.volumeName)] : [])],
        summary: `Claim ${shortName(pvc)} has been ${state} for ${formatDuration(waitedMs)}; newest ${newest.reason}: ${newest.message}${checked.healthy.length ? ` (checked and healthy: ${checked.healthy.join(', ')})` : ''}`,
        evidence: [
          `persistentvolumeclaim/${pvc.name} -n ${pvc.namespace}: ${pvc.phase}, ${state}, for ${formatDuration(waitedMs)} (since ${since ?? 'unknown'})`,
          ...signals.slice(0, 5).map((s) => s.line),
          ...users.map((p) => `used by pod ${shortName(p)} (${p.nodeName ? `on ${p.nodeName}, ` : ''}${p.phase}${graph.waitsOnVolumes(p) ? ', waiting' : ''})`),
          ...checkedLines(checked),
        ],
        explanation: `The claim has been ${resizing ? 'resizing' : 'Pending'} for longer than ${formatDuration(resizing ? RESIZE_GRACE_MS : WAITING_POD_GRACE_MS)} with ${failing ? 'warnings' : 'no progress'}, and no other volume-doctor check recognised the cause. The newest message, quoted above as Kubernetes wrote it, is the best lead.`,
        remedies: claimRemedies(pvc, resizing),
        since,
        blocks: waiting.map(podRef),
      }));
    }
    return findings;
  },
});
