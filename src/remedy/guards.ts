// Guards are pure: they judge a Graph (the snapshot at plan time, or re-read just before a write).
import type { Graph } from '../graph.js';
import { NODE_LEASE_NAMESPACE, OUT_OF_SERVICE_TAINT } from '../model/kubernetes-names.js';
import type { Guard } from './types.js';
import { formatDuration, toMillis } from '../util/time.js';

/** The first minor release where the out-of-service taint works (beta, on by default). */
const OUT_OF_SERVICE_MIN_MINOR = 26;

/** Known to be older than 1.26; an unknown version is not taken as old (the taint stays the answer, refused until known). */
export function serverPredatesOutOfService(graph: Graph): boolean {
  const v = graph.snapshot.serverVersion;
  return v !== undefined && v.major === 1 && v.minor < OUT_OF_SERVICE_MIN_MINOR;
}

function nodeNotReadyGuard(graph: Graph, node: string, forMs: number): Guard {
  const h = graph.nodeHealth(node);
  if (!h.exists) return { name: 'node-not-ready', ok: false, detail: `node ${node} ${h.unknown ? `is ${h.describe}` : 'does not exist'}` };
  if (h.ready) return { name: 'node-not-ready', ok: false, detail: `node ${node} is Ready: volume-doctor never acts as if a Ready node were down` };
  const held = h.conditionForMs;
  if (held === undefined) return { name: 'node-not-ready', ok: false, detail: `node ${node} is NotReady but its Ready condition has no transition time` };
  return {
    name: 'node-not-ready',
    ok: held >= forMs,
    detail: `node ${node} NotReady for ${formatDuration(held)}${held >= forMs ? '' : `, less than --node-down-for ${formatDuration(forMs)}`}`,
  };
}

function leaseStaleGuard(graph: Graph, node: string, forMs: number): Guard {
  const h = graph.nodeHealth(node);
  if (!h.lease) return { name: 'lease-stale', ok: false, detail: `no Lease ${NODE_LEASE_NAMESPACE}/${node} was read: cannot confirm the kubelet stopped renewing it` };
  if (h.leaseAgeMs === undefined) return { name: 'lease-stale', ok: false, detail: `Lease kube-node-lease/${node} has no renewTime` };
  return {
    name: 'lease-stale',
    ok: h.leaseAgeMs >= forMs,
    detail: `Lease kube-node-lease/${node} last renewed ${formatDuration(h.leaseAgeMs)} ago${h.leaseAgeMs >= forMs ? '' : `, less than --node-down-for ${formatDuration(forMs)}`}`,
  };
}

/** The node each node-down-confirmed guard asks a person to vouch for. (Not part of the JSON contract.) */
const CONFIRMS = new WeakMap<Guard, string>();

/** The node a node-down-confirmed guard is about, as data: what the prompt asks for when the guard fails. */
export function nodeToConfirm(guard: Guard): string | undefined {
  return guard.name === 'node-down-confirmed' ? CONFIRMS.get(guard) : undefined;
}

function confirmedGuard(node: string, confirmed: readonly string[]): Guard {
  const ok = confirmed.includes(node);
  const guard = {
    name: 'node-down-confirmed',
    ok,
    detail: ok
      ? `operator confirmed node ${node} is powered off`
      : `not confirmed: check that ${node} is powered off, then pass --confirm-node-down ${node} (or type its name at the prompt)`,
  };
  CONFIRMS.set(guard, node);
  return guard;
}

/** Guards that pass only because what they judge is unknown (a dump without the server's version). */
const UNKNOWN = new WeakSet<Guard>();

/** The guard passed without knowing: the report shows it as unknown, not as a pass. (Not part of the JSON contract.) */
export function guardUnknown(guard: Guard): boolean {
  return UNKNOWN.has(guard);
}

export function serverVersionGuard(graph: Graph): Guard {
  const v = graph.snapshot.serverVersion;
  if (!v) {
    // A dump is only ever planned: assume a supported server and say so; a live run always knows the version.
    const fromDump = graph.snapshot.source.type === 'file';
    const guard = { name: 'server-supports-out-of-service', ok: fromDump, detail: fromDump ? 'server version not in the dump: the out-of-service taint needs Kubernetes 1.26 or later (add `kubectl version -o json` output to --from-file)' : 'server version unknown' };
    if (fromDump) UNKNOWN.add(guard);
    return guard;
  }
  const ok = v.major > 1 || v.minor >= OUT_OF_SERVICE_MIN_MINOR;
  return { name: 'server-supports-out-of-service', ok, detail: `server ${v.gitVersion}${ok ? ' supports' : ' predates (needs 1.26)'} the out-of-service taint` };
}

export function nodeAbsentGuard(graph: Graph, node: string): Guard {
  const h = graph.nodeHealth(node);
  if (h.unknown) return { name: 'node-absent', ok: false, detail: `node ${node} is ${h.describe}: cannot tell whether it was deleted` };
  return { name: 'node-absent', ok: !h.exists, detail: h.exists ? `node ${node} still exists` : `node ${node} no longer exists` };
}

/**
 * No pod on the node that is not being deleted uses the volume. Only provable when pods and claims were completely
 * read; an attachment without a PV name (an inline volume) cannot be matched to pods, so then no live pod may be
 * on the node at all.
 */
export function noLivePodGuard(graph: Graph, node: string, pvName: string | undefined): Guard {
  const name = 'no-live-pod-uses-volume';
  if (graph.podUsageUnknown) {
    const what = (['pods', 'persistentvolumeclaims'] as const).filter((r) => !graph.wasRead(r)).join(' and ');
    return { name, ok: false, detail: `${what} could not be completely read: cannot tell whether a pod on ${node} still uses ${pvName ?? 'the volume'}` };
  }
  // A namespaced read saw only the pods of its namespace; a volume claimed elsewhere may be used by a pod not read.
  const ns = graph.snapshot.namespace;
  if (ns !== undefined && pvName) {
    const pv = graph.pv(pvName);
    const claimNs = pv?.claimRef?.namespace ?? graph.claimsNaming(pvName)[0]?.namespace;
    if (claimNs !== ns) return { name, ok: false, detail: `only pods of namespace ${ns} were read: cannot tell whether a pod on ${node} uses ${pvName} (run with -A)` };
  }
  const live = graph.podsOnNode(node).filter((p) => !p.deletionTimestamp);
  const users = pvName ? graph.podsUsingPv(pvName).filter((p) => p.nodeName === node && !p.deletionTimestamp) : live;
  if (users.length) {
    const detail = pvName
      ? `pod ${users[0].namespace}/${users[0].name} on ${node} still uses ${pvName}`
      : `the attachment names no PersistentVolume and pod ${users[0].namespace}/${users[0].name} still runs on ${node}: it may use the volume`;
    return { name, ok: false, detail };
  }
  // A pod whose claim was not read (or names no volume) may be the one using it.
  const unresolved = live.find((p) => graph.podVolumes(p).some((v) => !v.pvc?.volumeName));
  if (unresolved) {
    const claim = graph.podVolumes(unresolved).find((v) => !v.pvc?.volumeName)!.claimName;
    return { name, ok: false, detail: `pod ${unresolved.namespace}/${unresolved.name} on ${node} uses claim ${claim}, whose volume is not known: it may use ${pvName ?? 'the volume'}` };
  }
  return { name, ok: true, detail: `no running or pending pod on ${node} uses ${pvName ?? 'the volume'}` };
}

/** The moment a Ready node becomes trusted: its Ready transition plus `forMs`. */
function readyTrustedAt(graph: Graph, node: string, forMs: number): string | undefined {
  const since = toMillis(graph.node(node)?.readyTransitionTime);
  return since === undefined ? undefined : new Date(since + forMs).toISOString().replace(/\.000Z$/, 'Z');
}

/** The node is back: Ready for at least --node-ready-for, so it is trusted to stay up. */
export function nodeReadyForGuard(graph: Graph, node: string, forMs: number): Guard {
  const h = graph.nodeHealth(node);
  const name = 'node-ready';
  if (!h.exists) return { name, ok: false, detail: h.unknown ? `node ${node} is ${h.describe}` : `node ${node} does not exist` };
  if (!h.ready) return { name, ok: false, detail: `node ${node} is not Ready` };
  if (h.conditionForMs === undefined) return { name, ok: false, detail: `node ${node} is Ready but its Ready condition has no transition time: cannot tell for how long` };
  const ok = h.conditionForMs >= forMs;
  return {
    name,
    ok,
    detail: `node ${node} Ready for ${formatDuration(h.conditionForMs)}${ok ? '' : `, less than --node-ready-for ${formatDuration(forMs)} (fix accepts it from ${readyTrustedAt(graph, node, forMs)})`}`,
  };
}

export function hasTaintGuard(graph: Graph, node: string, wanted: boolean): Guard {
  const has = !!graph.node(node)?.taints.some((t) => t.key === OUT_OF_SERVICE_TAINT);
  return {
    name: wanted ? 'taint-present' : 'taint-absent',
    ok: has === wanted,
    detail: has ? `node ${node} carries ${OUT_OF_SERVICE_TAINT}` : `node ${node} does not carry ${OUT_OF_SERVICE_TAINT}`,
  };
}

export function podTerminatingGuard(graph: Graph, namespace: string, name: string): Guard {
  const pod = graph.pod(namespace, name);
  const ok = !!pod && graph.isPastDeletionGrace(pod);
  return { name: 'pod-past-grace', ok, detail: !pod ? `pod ${namespace}/${name} is gone` : ok ? `pod ${namespace}/${name} is Terminating past its grace period` : `pod ${namespace}/${name} is not Terminating past its grace period` };
}

/**
 * A kubelet that answers through the API server proves its machine runs, whatever the operator confirmed: the
 * guard fails. One that does not answer proves nothing (a crashed kubelet on a running machine is silent too), so
 * it passes and the confirmation stays required; one that could not be asked passes as unknown.
 */
function kubeletSilentGuard(graph: Graph, node: string): Guard {
  const name = 'kubelet-not-answering';
  const kubelet = graph.kubelet(node);
  if (!kubelet) {
    const guard = { name, ok: true, detail: graph.snapshot.source.type === 'file' ? `the kubelet on ${node} was not asked (read from a file)` : `the kubelet on ${node} was not asked` };
    UNKNOWN.add(guard);
    return guard;
  }
  if (kubelet.reach === 'answered') return { name, ok: false, detail: `${kubelet.reachDetail}; volume-doctor never acts as if it were powered off, whatever --confirm-node-down says` };
  // The reader's detail already says what the silence suggests (off, or on with its kubelet stopped).
  if (kubelet.reach === 'silent') return { name, ok: true, detail: kubelet.reachDetail };
  const guard = { name, ok: true, detail: kubelet.reachDetail };
  UNKNOWN.add(guard);
  return guard;
}

/** The guards before acting as if a node were powered off. */
export function nodeDownGuards(graph: Graph, node: string, forMs: number, confirmed: readonly string[]): Guard[] {
  return [nodeNotReadyGuard(graph, node, forMs), leaseStaleGuard(graph, node, forMs), kubeletSilentGuard(graph, node), confirmedGuard(node, confirmed)];
}

/** Deleting objects by hand is the fallback: for servers without the taint, or when the taint is on and did not help. */
export function taintUnavailableOrTried(graph: Graph, node: string): Guard {
  const predates = serverPredatesOutOfService(graph);
  const tainted = !!graph.node(node)?.taints.some((t) => t.key === OUT_OF_SERVICE_TAINT);
  return {
    name: 'out-of-service-unavailable-or-tried',
    ok: predates || tainted,
    detail: predates ? serverVersionGuard(graph).detail : tainted ? `node ${node} already carries the out-of-service taint and the object remains` : `prefer taint-out-of-service on ${node}`,
  };
}
