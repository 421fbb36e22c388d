// The Snapshot is the only input of the engine: compact facts folded from API objects.
// Both readers (live cluster and dump files) produce it, so every check works on either.

export interface ObjectRef {
  kind: string;
  namespace?: string;
  name: string;
}

export interface PodFact {
  namespace: string;
  name: string;
  uid: string;
  resourceVersion: string;
  creationTimestamp?: string;
  nodeName?: string;
  phase: string;
  deletionTimestamp?: string;
  deletionGracePeriodSeconds?: number;
  /** The controller owner, e.g. {kind: 'StatefulSet', name: 'db'}. ReplicaSets are kept as they are. */
  owner?: { kind: string; name: string };
  /**
   * PVC names from spec.volumes[].persistentVolumeClaim.claimName, with the pod volume name; a generic ephemeral
   * volume (spec.volumes[].ephemeral) names the claim the ephemeral volume controller makes for it.
   */
  claims: { volume: string; claimName: string }[];
  /** spec.nodeSelector: labels a node must carry for the pod to run there. */
  nodeSelector?: Record<string, string>;
  /** spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms (any one term). */
  nodeAffinity?: NodeSelectorTerm[];
  /** Inline NFS volumes (spec.volumes[].nfs), by pod volume name. */
  nfsVolumes: { volume: string; server: string; path: string }[];
  /** Waiting reasons of containers and init containers, e.g. ContainerCreating. */
  waitingReasons: string[];
  /** True when every container reports running. */
  allContainersRunning: boolean;
  scheduledAt?: string;
  /** status.conditions; PodScheduled=False carries the scheduler's text in `message` ("0/3 nodes are available: ..."). */
  conditions: { type: string; status: string; reason?: string; message?: string; lastTransitionTime?: string }[];
}

export interface PvcFact {
  namespace: string;
  name: string;
  uid: string;
  phase: string;
  volumeName?: string;
  storageClassName?: string;
  accessModes: string[];
  creationTimestamp?: string;
  deletionTimestamp?: string;
  finalizers: string[];
  /** Annotations the controllers set on a claim: volume.kubernetes.io/storage-provisioner, .../storage-resizer, .../selected-node. */
  annotations: Record<string, string>;
  /** spec.resources.requests.storage, as written ("12Gi"). */
  requestedStorage?: string;
  /** status.capacity.storage, as written ("10Gi"): the size the volume has now. */
  capacityStorage?: string;
  /** status.allocatedResources.storage: the size a resize is working towards (1.31+ with RecoverVolumeExpansionFailure). */
  allocatedStorage?: string;
  /** status.allocatedResourceStatuses.storage, e.g. ControllerResizeInProgress, NodeResizeInfeasible (1.31+). */
  resizeStatus?: string;
  /** status.conditions: Resizing, FileSystemResizePending, ControllerResizeError, NodeResizeError. */
  conditions: { type: string; status: string; reason?: string; message?: string; lastTransitionTime?: string }[];
}

/** One requirement of a node selector term (key In/NotIn/Exists/DoesNotExist/Gt/Lt values). */
export interface NodeSelectorRequirement {
  key: string;
  operator: string;
  values: string[];
}

/** A node selector term: every requirement must hold. matchFields can only name metadata.name. */
export interface NodeSelectorTerm {
  matchExpressions: NodeSelectorRequirement[];
  matchFields: NodeSelectorRequirement[];
}

export interface PvFact {
  name: string;
  uid: string;
  phase: string;
  accessModes: string[];
  /** spec.storage capacity as written ("10Gi"). */
  capacityStorage?: string;
  /** spec.nodeAffinity.required.nodeSelectorTerms: the nodes that can reach the volume (any one term must match). */
  nodeAffinity?: NodeSelectorTerm[];
  csi?: { driver: string; volumeHandle: string };
  nfs?: { server: string; path: string };
  claimRef?: { namespace: string; name: string; uid?: string };
  reclaimPolicy?: string;
  storageClassName?: string;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  finalizers: string[];
}

export interface VolumeError {
  time?: string;
  message: string;
}

export interface VolumeAttachmentFact {
  name: string;
  uid: string;
  resourceVersion: string;
  attacher: string;
  nodeName: string;
  persistentVolumeName?: string;
  attached: boolean;
  attachError?: VolumeError;
  detachError?: VolumeError;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  finalizers: string[];
}

interface TaintFact {
  key: string;
  value?: string;
  effect: string;
  timeAdded?: string;
}

export interface NodeFact {
  name: string;
  uid: string;
  resourceVersion: string;
  creationTimestamp?: string;
  /** metadata.labels, e.g. topology.kubernetes.io/zone; read with Object.hasOwn (a label may be named __proto__). */
  labels: Record<string, string>;
  /** Ready condition status: True, False or Unknown (Unknown also when the condition is absent). */
  ready: string;
  readyReason?: string;
  readyMessage?: string;
  readyTransitionTime?: string;
  lastHeartbeatTime?: string;
  taints: TaintFact[];
  unschedulable: boolean;
  volumesAttached: { name: string; devicePath?: string }[];
  volumesInUse: string[];
  controllerManagedAttachDetach: boolean;
}

export interface LeaseFact {
  /** Node leases live in kube-node-lease and are named after the node. */
  name: string;
  holderIdentity?: string;
  renewTime?: string;
  leaseDurationSeconds?: number;
}

export interface CsiNodeFact {
  name: string;
  drivers: string[];
  /** spec.drivers[].allocatable.count: how many volumes of that driver the node can have attached (absent: no limit). */
  limits: { driver: string; count: number }[];
}

export interface CsiDriverFact {
  name: string;
  attachRequired: boolean;
}

export interface StorageClassFact {
  name: string;
  provisioner: string;
  isDefault: boolean;
  volumeBindingMode?: string;
  reclaimPolicy?: string;
  /** allowVolumeExpansion: absent means false; the API server refuses a larger request on such a class's claims. */
  allowVolumeExpansion: boolean;
}

export interface EventFact {
  namespace?: string;
  involvedObject: { kind: string; namespace?: string; name: string; uid?: string };
  reason: string;
  type: string;
  message: string;
  count: number;
  firstTimestamp?: string;
  lastTimestamp?: string;
  component?: string;
}

// ---- Longhorn (longhorn.io/v1beta2, namespace longhorn-system) -------------------------------

export interface LonghornVolumeFact {
  name: string;
  state: string;
  robustness: string;
  currentNodeID?: string;
  nodeID?: string;
  pvName?: string;
  pvcName?: string;
  pvcNamespace?: string;
  conditions: { type: string; status: string; reason?: string; message?: string; lastTransitionTime?: string }[];
}

export interface LonghornReplicaFact {
  name: string;
  volumeName: string;
  nodeID: string;
  diskID: string;
  diskPath?: string;
  failedAt?: string;
  currentState: string;
}

export interface LonghornEngineFact {
  name: string;
  volumeName: string;
  nodeID?: string;
  currentState: string;
  replicaModeMap: Record<string, string>;
}

export interface LonghornNodeFact {
  name: string;
  /** Disk name → its current UUID and path. */
  disks: { name: string; diskUUID: string; path?: string }[];
}

export interface LonghornAttachmentFact {
  name: string;
  /** Ticket id → {type, nodeID, satisfied}. */
  tickets: { id: string; type?: string; nodeID?: string; satisfied?: boolean }[];
}

export interface LonghornFacts {
  volumes: LonghornVolumeFact[];
  replicas: LonghornReplicaFact[];
  engines: LonghornEngineFact[];
  nodes: LonghornNodeFact[];
  /** Setting name → value, e.g. node-down-pod-deletion-policy. */
  settings: Record<string, string>;
  volumeAttachments: LonghornAttachmentFact[];
}

// ---- the kubelet, asked through the API server's node proxy (live runs only) -----------------------

/**
 * answered: the kubelet itself answered (any status it wrote, even an error: the machine runs).
 * silent: the API server could not reach it, or nothing came back in time: consistent with a machine that is off,
 * and with a crashed kubelet on a running one.
 * unknown: we could not ask (no nodes/proxy permission, an address the API server will not proxy to, an answer we
 * could not understand).
 */
export type KubeletReach = 'answered' | 'silent' | 'unknown';

/** A pod in the kubelet's own list (its /pods), with what the API server says about it. */
export interface KubeletPodFact {
  namespace: string;
  name: string;
  uid: string;
  /** Volumes that outlive the pod (claims, NFS, CSI, iSCSI, ...), for people: "nfs 10.0.0.5:/exports/a", "claim data". */
  volumes: string[];
  /** The claims among them, by name (in the pod's namespace). */
  claims: string[];
  /** present: the API has this pod (same uid); gone: a 404 for it; replaced: the name now belongs to another uid. */
  api: 'present' | 'gone' | 'replaced' | 'unknown';
  apiDetail?: string;
}

/** The kubelet's volume metrics (its /metrics), as far as this kubelet version reports them. */
export interface KubeletMetricsFact {
  /** kubelet_orphan_pod_cleaned_volumes_errors: orphaned pods whose volumes failed to be cleaned in the last sweep (1.27+). */
  orphanCleanupErrors?: number;
  /** kubelet_orphan_pod_cleaned_volumes (1.27+). */
  orphansCleaned?: number;
  /** volume_manager_total_volumes by plugin: volumes the kubelet wants mounted vs has mounted. */
  volumes: { plugin: string; desired: number; actual: number }[];
  /** storage_operation_duration_seconds_count{status="fail-unknown"} by plugin and operation (since the kubelet started). */
  failedOperations: { plugin: string; operation: string; count: number }[];
}

export interface KubeletFact {
  node: string;
  reach: KubeletReach;
  /** One line for people: what was asked and what came back. */
  reachDetail: string;
  pods?: KubeletPodFact[];
  metrics?: KubeletMetricsFact;
  /** The kubelet's own log lines about orphaned pod volumes (node log query; off by default). */
  logLines?: string[];
  /** What of the kubelet's view could not be read, and why. */
  notes: string[];
}

/**
 * The `incomplete` entry for objects dropped before their kind could be told (null items, no kind): any of them
 * may have been a node, a pod or an attachment, so no kind counts as completely read while it is there.
 */
export const UNKNOWN_KIND_RESOURCE = 'objects';

export interface IncompleteResource {
  resource: string;
  reason: string;
}

export interface SnapshotSource {
  type: 'cluster' | 'file';
  context?: string;
  server?: string;
  files?: string[];
}

export interface ServerVersion {
  major: number;
  minor: number;
  gitVersion: string;
}

export interface Snapshot {
  /** RFC 3339 moment that every duration is judged against. */
  now: string;
  /** Why `now` is that moment, for people: "--now", "the clock of this machine", "the newest heartbeat in the dump (...)". */
  nowBasis?: string;
  /** Timestamps in a dump that lie after `now` and did not move it, e.g. "1 timestamp ... was ignored: 2099-01-01T00:00:00Z (event shop/x)". */
  nowNote?: string;
  source: SnapshotSource;
  /** Namespace the pods and claims were read from; undefined means all namespaces. */
  namespace?: string;
  serverVersion?: ServerVersion;
  nodes: NodeFact[];
  pods: PodFact[];
  pvcs: PvcFact[];
  pvs: PvFact[];
  volumeAttachments: VolumeAttachmentFact[];
  leases: LeaseFact[];
  csiNodes: CsiNodeFact[];
  csiDrivers: CsiDriverFact[];
  storageClasses: StorageClassFact[];
  events: EventFact[];
  /** Present only when the longhorn.io API group is served (or the dump holds Longhorn objects). */
  longhorn?: LonghornFacts;
  /** Kubelets asked through the node proxy (live runs): the not-Ready nodes, and the nodes findings point at. */
  kubelets?: KubeletFact[];
  incomplete: IncompleteResource[];
  /** What could not be checked without making the run incomplete (asking kubelets is never required). */
  notChecked?: string[];
}

export function emptyLonghorn(): LonghornFacts {
  return { volumes: [], replicas: [], engines: [], nodes: [], settings: {}, volumeAttachments: [] };
}

export function emptySnapshot(now: string, source: SnapshotSource): Snapshot {
  return {
    now,
    source,
    nodes: [],
    pods: [],
    pvcs: [],
    pvs: [],
    volumeAttachments: [],
    leases: [],
    csiNodes: [],
    csiDrivers: [],
    storageClasses: [],
    events: [],
    incomplete: [],
  };
}
