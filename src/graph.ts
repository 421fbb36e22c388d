// Indexes built once over a Snapshot: pod→PVC→PV→VolumeAttachment→Node, unique volume names, node health.
import type {
  EventFact, KubeletFact, LeaseFact, NodeFact, NodeSelectorTerm, PodFact, PvcFact, PvFact, Snapshot, VolumeAttachmentFact,
} from './model/snapshot.js';
import { UNKNOWN_KIND_RESOURCE } from './model/snapshot.js';
import { OUT_OF_SERVICE_TAINT } from './model/kubernetes-names.js';
import type { ReadableResource } from './model/kinds.js';
import { selectorMatches } from './util/node-selector.js';
import { formatDuration, toMillis } from './util/time.js';

/** How long a node must have been Ready again before its out-of-service taint may be removed. */
export interface JudgingSettings {
  readyTrustMs?: number;
}


export interface PodVolume {
  volume: string;
  claimName: string;
  pvc?: PvcFact;
  pv?: PvFact;
}

export interface NodeHealth {
  name: string;
  node?: NodeFact;
  exists: boolean;
  ready: boolean;
  /** How long the Ready condition has held its current status. */
  conditionForMs?: number;
  lease?: LeaseFact;
  /** Time since the node's Lease was last renewed; undefined when there is no Lease. */
  leaseAgeMs?: number;
  outOfService: boolean;
  /** Node objects were not read (forbidden, or absent from the dump): a missing node is not known to be deleted. */
  unknown?: boolean;
  /** What the node's kubelet said through the API server's node proxy, when it was asked. */
  kubelet?: KubeletFact;
  /** One line for people: "NotReady (NodeStatusUnknown) for 14m, Lease not renewed for 14m". */
  describe: string;
}

const key = (namespace: string | undefined, name: string) => `${namespace ?? ''}/${name}`;

function push<K, V>(map: Map<K, V[]>, k: K, v: V) {
  const list = map.get(k);
  if (list) list.push(v);
  else map.set(k, [v]);
}

/** `kubernetes.io/csi/<driver>^<volumeHandle>`, the name kubelet and the attach/detach controller use on Node status. */
export function uniqueVolumeName(pv: PvFact): string | undefined {
  return pv.csi ? `kubernetes.io/csi/${pv.csi.driver}^${pv.csi.volumeHandle}` : undefined;
}

const QUANTITY_SUFFIX: Record<string, number> = {
  '': 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18,
  Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60, m: 1e-3,
};

/** Bytes in a Kubernetes quantity ("10Gi", "500M", "1.5Ti", "12e9"); undefined when it cannot be read. */
export function quantityBytes(q: string | undefined): number | undefined {
  const m = q === undefined ? null : /^\s*([+-]?(?:\d+\.?\d*|\.\d+))(?:([eE][+-]?\d+)|(Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E|m)?)\s*$/.exec(q);
  if (!m) return undefined;
  const base = Number(m[1]);
  return m[2] ? base * 10 ** Number(m[2].slice(1)) : base * QUANTITY_SUFFIX[m[3] ?? ''];
}

/** Container waiting reasons of a pod whose volumes are not set up yet; any other reason comes after the mount. */
const BEFORE_VOLUMES = new Set(['ContainerCreating', 'PodInitializing']);

export class Graph {
  readonly now: number;
  private readonly nodes = new Map<string, NodeFact>();
  private readonly pods = new Map<string, PodFact>();
  private readonly podsByNode = new Map<string, PodFact[]>();
  private readonly pvcs = new Map<string, PvcFact>();
  private readonly pvs = new Map<string, PvFact>();
  private readonly pvsByUniqueName = new Map<string, PvFact>();
  private readonly podsByPv = new Map<string, PodFact[]>();
  private readonly podsByClaim = new Map<string, PodFact[]>();
  private readonly claimsByVolumeName = new Map<string, PvcFact[]>();
  private readonly vas = new Map<string, VolumeAttachmentFact>();
  private readonly vasByPv = new Map<string, VolumeAttachmentFact[]>();
  private readonly vasByNode = new Map<string, VolumeAttachmentFact[]>();
  private readonly leases = new Map<string, LeaseFact>();
  private readonly kubelets = new Map<string, KubeletFact>();
  private readonly csiDrivers = new Map<string, boolean>();
  private readonly csiNodes = new Map<string, string[]>();
  private readonly eventsByObject = new Map<string, EventFact[]>();

  /** True when nodes were not completely read, so a node missing from the snapshot may still exist. */
  readonly nodesUnread: boolean;
  /**
   * True when pods or claims were not completely read: "no pod uses this volume" cannot be concluded, since a
   * pod that was not read (or whose claim was not) may use it.
   */
  readonly podUsageUnknown: boolean;

  /**
   * Thresholds the user chose for this run (fix's and diagnose's flags), so that what diagnose recommends and what
   * fix accepts agree; a check falls back to its default when one is not set.
   */
  constructor(readonly snapshot: Snapshot, readonly settings: JudgingSettings = {}) {
    this.nodesUnread = !this.wasRead('nodes') || (snapshot.source.type === 'file' && snapshot.nodes.length === 0);
    this.podUsageUnknown = !this.wasRead('pods') || !this.wasRead('persistentvolumeclaims');
    const now = toMillis(snapshot.now);
    if (now === undefined) throw new Error(`invalid snapshot time ${snapshot.now}`);
    this.now = now;
    for (const n of snapshot.nodes) this.nodes.set(n.name, n);
    for (const c of snapshot.pvcs) {
      this.pvcs.set(key(c.namespace, c.name), c);
      if (c.volumeName) push(this.claimsByVolumeName, c.volumeName, c);
    }
    for (const v of snapshot.pvs) {
      this.pvs.set(v.name, v);
      const unique = uniqueVolumeName(v);
      if (unique) this.pvsByUniqueName.set(unique, v);
    }
    for (const p of snapshot.pods) {
      this.pods.set(key(p.namespace, p.name), p);
      if (p.nodeName) push(this.podsByNode, p.nodeName, p);
      for (const v of this.podVolumes(p)) {
        push(this.podsByClaim, key(p.namespace, v.claimName), p);
        // By the claim's volumeName, so a pod's use of a volume is known even when the PV object was not read.
        if (v.pvc?.volumeName) push(this.podsByPv, v.pvc.volumeName, p);
      }
    }
    for (const va of snapshot.volumeAttachments) {
      this.vas.set(va.name, va);
      if (va.persistentVolumeName) push(this.vasByPv, va.persistentVolumeName, va);
      push(this.vasByNode, va.nodeName, va);
    }
    for (const l of snapshot.leases) this.leases.set(l.name, l);
    for (const k of snapshot.kubelets ?? []) this.kubelets.set(k.node, k);
    for (const d of snapshot.csiDrivers) this.csiDrivers.set(d.name, d.attachRequired);
    for (const n of snapshot.csiNodes) this.csiNodes.set(n.name, n.drivers);
    for (const e of snapshot.events) {
      const io = e.involvedObject;
      push(this.eventsByObject, `${io.kind}/${key(io.namespace, io.name)}`, e);
    }
  }

  // ---- lookups -------------------------------------------------------------------------------

  allPods(): PodFact[] { return this.snapshot.pods; }
  allNodes(): NodeFact[] { return this.snapshot.nodes; }
  allPvs(): PvFact[] { return this.snapshot.pvs; }
  allVolumeAttachments(): VolumeAttachmentFact[] { return this.snapshot.volumeAttachments; }
  pod(namespace: string, name: string): PodFact | undefined { return this.pods.get(key(namespace, name)); }
  node(name: string): NodeFact | undefined { return this.nodes.get(name); }
  pv(name: string): PvFact | undefined { return this.pvs.get(name); }
  pvc(namespace: string, name: string): PvcFact | undefined { return this.pvcs.get(key(namespace, name)); }
  volumeAttachment(name: string): VolumeAttachmentFact | undefined { return this.vas.get(name); }
  pvByUniqueName(unique: string): PvFact | undefined { return this.pvsByUniqueName.get(unique); }
  podsOnNode(node: string): PodFact[] { return this.podsByNode.get(node) ?? []; }
  podsUsingPv(pvName: string): PodFact[] { return this.podsByPv.get(pvName) ?? []; }
  /** Claims whose spec.volumeName names this PV (bound, or asking for it). */
  claimsNaming(pvName: string): PvcFact[] { return this.claimsByVolumeName.get(pvName) ?? []; }
  podsUsingClaim(namespace: string, claim: string): PodFact[] { return this.podsByClaim.get(key(namespace, claim)) ?? []; }
  attachmentsOfPv(pvName: string): VolumeAttachmentFact[] { return this.vasByPv.get(pvName) ?? []; }
  attachmentsOnNode(node: string): VolumeAttachmentFact[] { return this.vasByNode.get(node) ?? []; }
  csiNodeDrivers(node: string): string[] | undefined { return this.csiNodes.get(node); }
  hasCsiDriverObject(driver: string): boolean { return this.csiDrivers.has(driver); }
  /** False when the resource was not completely read (forbidden, unreadable, or objects dropped as malformed). */
  wasRead(resource: ReadableResource): boolean { return !this.snapshot.incomplete.some((i) => i.resource === resource || i.resource === UNKNOWN_KIND_RESOURCE); }

  eventsFor(kind: string, namespace: string | undefined, name: string): EventFact[] {
    return this.eventsByObject.get(`${kind}/${key(namespace, name)}`) ?? [];
  }

  podVolumes(pod: PodFact): PodVolume[] {
    return pod.claims.map(({ volume, claimName }) => {
      const pvc = this.pvcs.get(key(pod.namespace, claimName));
      const pv = pvc?.volumeName ? this.pvs.get(pvc.volumeName) : undefined;
      return { volume, claimName, pvc, pv };
    });
  }

  // ---- volume properties ---------------------------------------------------------------------

  /** Whether the volume goes through attach/detach: CSI with attachRequired (the default when no CSIDriver exists). */
  isAttachable(pv: PvFact): boolean {
    if (!pv.csi) return false;
    return this.csiDrivers.get(pv.csi.driver) ?? true;
  }

  /**
   * The attach/detach controller refuses a second attachment unless the PV allows ReadWriteMany or ReadOnlyMany
   * (IsMultiAttachAllowed in pkg/volume/util). A PV without access modes is treated as shareable, as upstream does.
   */
  isExclusive(pv: PvFact): boolean {
    if (pv.accessModes.length === 0) return false;
    return !pv.accessModes.some((m) => m === 'ReadWriteMany' || m === 'ReadOnlyMany');
  }

  /** Is the PV attached to this node, by VolumeAttachment or by the node's volumesAttached? */
  isAttachedTo(pv: PvFact, nodeName: string): boolean {
    if (this.attachmentsOfPv(pv.name).some((va) => va.nodeName === nodeName && va.attached && !va.deletionTimestamp)) return true;
    const unique = uniqueVolumeName(pv);
    return !!unique && !!this.node(nodeName)?.volumesAttached.some((v) => v.name === unique);
  }

  /** Nodes other than `except` that hold the PV (attached, attaching or detaching), from VolumeAttachments and node status. */
  nodesHolding(pv: PvFact, except?: string): string[] {
    const holders = new Set<string>();
    for (const va of this.attachmentsOfPv(pv.name)) {
      if (va.nodeName !== except) holders.add(va.nodeName);
    }
    const unique = uniqueVolumeName(pv);
    if (unique) {
      for (const n of this.snapshot.nodes) {
        if (n.name !== except && n.volumesAttached.some((v) => v.name === unique)) holders.add(n.name);
      }
    }
    return [...holders];
  }

  /**
   * Nodes whose labels satisfy a PV's node affinity, as the scheduler's volume binder checks it: against the labels
   * alone, so matchFields (metadata.name) are not evaluated there.
   */
  nodesMatching(terms: NodeSelectorTerm[]): NodeFact[] {
    return this.snapshot.nodes.filter((n) => selectorMatches(terms, { labels: n.labels }));
  }

  /**
   * The Ready nodes the pod could run on, as far as its node selector, its required node affinity and its volumes'
   * node affinity say (taints and resources aside). None: it waits for a node that is not Ready to come back.
   */
  readyNodesFor(pod: PodFact): NodeFact[] {
    const selector = Object.entries(pod.nodeSelector ?? {});
    const volumeTerms = this.podVolumes(pod).flatMap((v) => (v.pv?.nodeAffinity ? [v.pv.nodeAffinity] : []));
    return this.snapshot.nodes.filter((n) => n.ready === 'True'
      && selector.every(([k, v]) => Object.hasOwn(n.labels, k) && n.labels[k] === v)
      && (!pod.nodeAffinity || selectorMatches(pod.nodeAffinity, { name: n.name, labels: n.labels }))
      && volumeTerms.every((terms) => selectorMatches(terms, { labels: n.labels })));
  }

  /** Whether findings about this PV belong to the namespace being diagnosed. */
  inScope(pv: PvFact): boolean {
    const ns = this.snapshot.namespace;
    return ns === undefined || pv.claimRef?.namespace === ns;
  }

  // ---- pod states ----------------------------------------------------------------------------

  /** Scheduled, not being deleted, and not started: the kubelet is still setting it up (ContainerCreating). */
  isWaitingToStart(pod: PodFact): boolean {
    return !!pod.nodeName && !pod.deletionTimestamp && pod.phase === 'Pending' && !pod.allContainersRunning;
  }

  /**
   * Pending, not being deleted, and either not scheduled or scheduled with no container past the volume stage
   * (every waiting reason is ContainerCreating or PodInitializing): a container in ImagePullBackOff or
   * CrashLoopBackOff already has its volumes mounted.
   */
  waitsOnVolumes(pod: PodFact): boolean {
    if (pod.deletionTimestamp || pod.phase !== 'Pending') return false;
    if (!pod.nodeName) return true;
    return this.isWaitingToStart(pod) && pod.waitingReasons.every((r) => BEFORE_VOLUMES.has(r));
  }

  /**
   * Whether an event is about this incarnation of the object: the same UID when both are known, and not last
   * seen before the object was created (an earlier pod of the same name left it).
   */
  isCurrentEvent(obj: { uid: string; creationTimestamp?: string }, e: EventFact): boolean {
    if (e.involvedObject.uid && obj.uid && e.involvedObject.uid !== obj.uid) return false;
    const seen = toMillis(e.lastTimestamp ?? e.firstTimestamp);
    const created = toMillis(obj.creationTimestamp);
    return seen === undefined || created === undefined || seen >= created;
  }

  /** How long a waiting pod has waited, from its scheduling (or creation). */
  waitingForMs(pod: PodFact): number {
    const since = toMillis(pod.scheduledAt) ?? toMillis(pod.creationTimestamp) ?? this.now;
    return this.now - since;
  }

  /** A pod whose deletion grace period has run out but whose object still exists. */
  isPastDeletionGrace(pod: PodFact): boolean {
    const deadline = toMillis(pod.deletionTimestamp);
    return deadline !== undefined && this.now >= deadline;
  }

  // ---- node health ---------------------------------------------------------------------------

  nodeHealth(name: string): NodeHealth {
    const node = this.nodes.get(name);
    const lease = this.leases.get(name);
    const renewed = toMillis(lease?.renewTime);
    const leaseAgeMs = renewed === undefined ? undefined : this.now - renewed;
    if (!node && this.nodesUnread) {
      return { name, exists: false, unknown: true, ready: false, outOfService: false, lease, leaseAgeMs, describe: this.snapshot.source.type === 'file' ? 'unknown (the dump holds no Node objects)' : 'unknown (Node objects could not be read)' };
    }
    if (!node) {
      return { name, exists: false, ready: false, outOfService: false, lease, leaseAgeMs, describe: 'no longer exists (Node object deleted)' };
    }
    const ready = node.ready === 'True';
    const transition = toMillis(node.readyTransitionTime);
    const conditionForMs = transition === undefined ? undefined : this.now - transition;
    const outOfService = node.taints.some((t) => t.key === OUT_OF_SERVICE_TAINT);
    const parts: string[] = [];
    const state = ready ? 'Ready' : `NotReady (${node.ready}${node.readyReason ? `, ${node.readyReason}` : ''})`;
    parts.push(conditionForMs === undefined ? state : `${state} for ${formatDuration(conditionForMs)}`);
    if (!ready) {
      const noLease = this.wasRead('leases') ? 'no Lease found' : 'Lease unknown (Leases could not be read)';
      parts.push(leaseAgeMs === undefined ? noLease : `Lease last renewed ${formatDuration(leaseAgeMs)} ago`);
    }
    if (outOfService) parts.push('tainted out-of-service');
    const kubelet = this.kubelets.get(name);
    if (!ready && kubelet?.reach === 'answered') parts.push('but its kubelet answers through the API server');
    return { name, node, exists: true, ready, conditionForMs, lease, leaseAgeMs, outOfService, kubelet, describe: parts.join(', ') };
  }

  /** What the node's kubelet said through the node proxy, when it was asked. */
  kubelet(node: string): KubeletFact | undefined {
    return this.kubelets.get(node);
  }

  /** Not Ready for at least `forMs` (a deleted node counts as down; one that could not be read does not). */
  isNodeDown(name: string, forMs: number): boolean {
    const h = this.nodeHealth(name);
    if (!h.exists) return !h.unknown;
    return !h.ready && (h.conditionForMs ?? 0) >= forMs;
  }
}
