// Folds raw API objects (as the API server returns them) into the compact facts of a Snapshot.
// Shared by the live reader and the dump reader so both produce identical Snapshots.
import type {
  LonghornAttachmentFact, LonghornEngineFact, LonghornFacts, LonghornNodeFact, LonghornReplicaFact, LonghornVolumeFact,
  CsiDriverFact, CsiNodeFact, EventFact, LeaseFact, NodeFact, NodeSelectorRequirement, NodeSelectorTerm, PodFact, PvcFact, PvFact, Snapshot,
  StorageClassFact, VolumeAttachmentFact, VolumeError,
} from '../model/snapshot.js';
import { emptyLonghorn } from '../model/snapshot.js';
import type { CoreKind, LonghornKindKey } from '../model/kinds.js';
import { CONTROLLER_MANAGED_ATTACH_DETACH, DEFAULT_CLASS_ANNOTATIONS, ephemeralClaimName, NODE_LEASE_NAMESPACE } from '../model/kubernetes-names.js';
import { malformedReason } from './shape.js';

/* eslint-disable @typescript-eslint/no-explicit-any */
type Raw = any;

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
const arr = <T = Raw>(v: unknown): T[] => (Array.isArray(v) ? (v.filter((x) => x !== null && x !== undefined) as T[]) : []);

export function foldPod(o: Raw): PodFact {
  const meta = o.metadata ?? {};
  const spec = o.spec ?? {};
  const status = o.status ?? {};
  const controller = arr(meta.ownerReferences).find((r) => r.controller) ?? arr(meta.ownerReferences)[0];
  const containerStatuses = [...arr(status.initContainerStatuses), ...arr(status.containerStatuses)];
  const mainStatuses = arr(status.containerStatuses);
  const conditions = arr(status.conditions).map((c) => ({
    type: String(c.type), status: String(c.status), reason: str(c.reason), message: str(c.message), lastTransitionTime: str(c.lastTransitionTime),
  }));
  return {
    namespace: meta.namespace ?? 'default',
    name: meta.name,
    uid: meta.uid ?? '',
    resourceVersion: meta.resourceVersion ?? '',
    creationTimestamp: str(meta.creationTimestamp),
    nodeName: str(spec.nodeName),
    phase: status.phase ?? 'Pending',
    deletionTimestamp: str(meta.deletionTimestamp),
    deletionGracePeriodSeconds: typeof meta.deletionGracePeriodSeconds === 'number' ? meta.deletionGracePeriodSeconds : undefined,
    owner: controller ? { kind: controller.kind, name: controller.name } : undefined,
    claims: arr(spec.volumes).flatMap((v) => {
      if (v.persistentVolumeClaim?.claimName) return [{ volume: v.name, claimName: v.persistentVolumeClaim.claimName }];
      if (v.ephemeral?.volumeClaimTemplate && meta.name && v.name) return [{ volume: v.name, claimName: ephemeralClaimName(meta.name, v.name) }];
      return [];
    }),
    nodeSelector: spec.nodeSelector ? stringMap(spec.nodeSelector) : undefined,
    nodeAffinity: nodeSelectorTerms(spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms),
    nfsVolumes: arr(spec.volumes)
      .filter((v) => v.nfs?.server)
      .map((v) => ({ volume: v.name, server: v.nfs.server, path: v.nfs.path ?? '/' })),
    waitingReasons: containerStatuses.map((c) => c.state?.waiting?.reason).filter((r): r is string => !!r),
    allContainersRunning: mainStatuses.length > 0 && mainStatuses.every((c) => !!c.state?.running),
    scheduledAt: conditions.find((c) => c.type === 'PodScheduled' && c.status === 'True')?.lastTransitionTime,
    conditions,
  };
}

/** A map of strings (labels, annotations) as own properties only. */
function stringMap(v: unknown): Record<string, string> {
  if (!v || typeof v !== 'object' || Array.isArray(v)) return {};
  return Object.fromEntries(Object.entries(v).filter((e): e is [string, string] => typeof e[1] === 'string'));
}

function requirements(v: unknown): NodeSelectorRequirement[] {
  return arr(v).map((r) => ({ key: String(r.key ?? ''), operator: String(r.operator ?? ''), values: arr<string>(r.values).map(String) }));
}

function nodeSelectorTerms(v: unknown): NodeSelectorTerm[] | undefined {
  if (!Array.isArray(v)) return undefined;
  return arr(v).map((t) => ({ matchExpressions: requirements(t.matchExpressions), matchFields: requirements(t.matchFields) }));
}

/** A resource quantity as written ("10Gi"); the API server always writes a string, a hand-written dump may not. */
const quantity = (v: unknown): string | undefined => (typeof v === 'number' && Number.isFinite(v) ? String(v) : str(v));

function foldPvc(o: Raw): PvcFact {
  const meta = o.metadata ?? {};
  const status = o.status ?? {};
  return {
    namespace: meta.namespace ?? 'default',
    name: meta.name,
    uid: meta.uid ?? '',
    phase: o.status?.phase ?? 'Pending',
    volumeName: str(o.spec?.volumeName),
    storageClassName: typeof o.spec?.storageClassName === 'string' ? o.spec.storageClassName : undefined,
    accessModes: arr<string>(o.spec?.accessModes),
    creationTimestamp: str(meta.creationTimestamp),
    deletionTimestamp: str(meta.deletionTimestamp),
    finalizers: arr<string>(meta.finalizers),
    annotations: stringMap(meta.annotations),
    requestedStorage: quantity(o.spec?.resources?.requests?.storage),
    capacityStorage: quantity(status.capacity?.storage),
    allocatedStorage: quantity(status.allocatedResources?.storage),
    resizeStatus: str(status.allocatedResourceStatuses?.storage),
    conditions: arr(status.conditions).map((c) => ({
      type: String(c.type), status: String(c.status), reason: str(c.reason), message: str(c.message), lastTransitionTime: str(c.lastTransitionTime),
    })),
  };
}

function foldPv(o: Raw): PvFact {
  const meta = o.metadata ?? {};
  const spec = o.spec ?? {};
  return {
    name: meta.name,
    uid: meta.uid ?? '',
    phase: o.status?.phase ?? 'Pending',
    accessModes: arr<string>(spec.accessModes),
    capacityStorage: quantity(spec.capacity?.storage),
    nodeAffinity: nodeSelectorTerms(spec.nodeAffinity?.required?.nodeSelectorTerms),
    csi: spec.csi?.driver ? { driver: spec.csi.driver, volumeHandle: spec.csi.volumeHandle ?? '' } : undefined,
    nfs: spec.nfs?.server ? { server: spec.nfs.server, path: spec.nfs.path ?? '/' } : undefined,
    claimRef: spec.claimRef?.name
      ? { namespace: spec.claimRef.namespace ?? 'default', name: spec.claimRef.name, uid: str(spec.claimRef.uid) }
      : undefined,
    reclaimPolicy: str(spec.persistentVolumeReclaimPolicy),
    storageClassName: str(spec.storageClassName),
    creationTimestamp: str(meta.creationTimestamp),
    deletionTimestamp: str(meta.deletionTimestamp),
    finalizers: arr<string>(meta.finalizers),
  };
}

function foldVolumeError(e: Raw): VolumeError | undefined {
  if (!e || (!e.message && !e.time)) return undefined;
  return { time: str(e.time), message: String(e.message ?? '') };
}

function foldVolumeAttachment(o: Raw): VolumeAttachmentFact {
  const meta = o.metadata ?? {};
  return {
    name: meta.name,
    uid: meta.uid ?? '',
    resourceVersion: meta.resourceVersion ?? '',
    attacher: o.spec?.attacher ?? '',
    nodeName: o.spec?.nodeName ?? '',
    persistentVolumeName: str(o.spec?.source?.persistentVolumeName),
    attached: o.status?.attached === true,
    attachError: foldVolumeError(o.status?.attachError),
    detachError: foldVolumeError(o.status?.detachError),
    creationTimestamp: str(meta.creationTimestamp),
    deletionTimestamp: str(meta.deletionTimestamp),
    finalizers: arr<string>(meta.finalizers),
  };
}

function foldNode(o: Raw): NodeFact {
  const meta = o.metadata ?? {};
  const status = o.status ?? {};
  const ready = arr(status.conditions).find((c) => c.type === 'Ready');
  return {
    name: meta.name,
    uid: meta.uid ?? '',
    resourceVersion: meta.resourceVersion ?? '',
    creationTimestamp: str(meta.creationTimestamp),
    labels: stringMap(meta.labels),
    ready: ready?.status ?? 'Unknown',
    readyReason: str(ready?.reason),
    readyMessage: str(ready?.message),
    readyTransitionTime: str(ready?.lastTransitionTime),
    lastHeartbeatTime: str(ready?.lastHeartbeatTime),
    taints: arr(o.spec?.taints).map((t) => ({ key: t.key, value: str(t.value), effect: t.effect, timeAdded: str(t.timeAdded) })),
    unschedulable: o.spec?.unschedulable === true,
    volumesAttached: arr(status.volumesAttached).map((v) => ({ name: v.name, devicePath: str(v.devicePath) })),
    volumesInUse: arr<string>(status.volumesInUse),
    controllerManagedAttachDetach: meta.annotations?.[CONTROLLER_MANAGED_ATTACH_DETACH] === 'true',
  };
}

function foldLease(o: Raw): LeaseFact {
  return {
    name: o.metadata?.name,
    holderIdentity: str(o.spec?.holderIdentity),
    renewTime: str(o.spec?.renewTime),
    leaseDurationSeconds: o.spec?.leaseDurationSeconds,
  };
}

function foldCsiNode(o: Raw): CsiNodeFact {
  const drivers = arr(o.spec?.drivers);
  return {
    name: o.metadata?.name,
    drivers: drivers.map((d) => d.name),
    limits: drivers.filter((d) => typeof d.allocatable?.count === 'number').map((d) => ({ driver: d.name, count: d.allocatable.count })),
  };
}

function foldCsiDriver(o: Raw): CsiDriverFact {
  // An absent attachRequired defaults to true in the API.
  return { name: o.metadata?.name, attachRequired: o.spec?.attachRequired !== false };
}

function foldStorageClass(o: Raw): StorageClassFact {
  const annotations = o.metadata?.annotations ?? {};
  return {
    name: o.metadata?.name,
    provisioner: o.provisioner ?? '',
    isDefault: DEFAULT_CLASS_ANNOTATIONS.some((a) => annotations[a] === 'true'),
    volumeBindingMode: str(o.volumeBindingMode),
    reclaimPolicy: str(o.reclaimPolicy),
    allowVolumeExpansion: o.allowVolumeExpansion === true,
  };
}

function foldEvent(o: Raw): EventFact {
  const io = o.involvedObject ?? o.regarding ?? {};
  return {
    namespace: str(o.metadata?.namespace),
    involvedObject: { kind: io.kind ?? '', namespace: str(io.namespace), name: io.name ?? '', uid: str(io.uid) },
    reason: o.reason ?? '',
    type: o.type ?? 'Normal',
    message: o.message ?? o.note ?? '',
    count: typeof o.count === 'number' ? o.count : (o.series?.count ?? 1),
    firstTimestamp: str(o.firstTimestamp) ?? str(o.eventTime) ?? str(o.metadata?.creationTimestamp),
    lastTimestamp: str(o.lastTimestamp) ?? str(o.series?.lastObservedTime) ?? str(o.eventTime) ?? str(o.metadata?.creationTimestamp),
    component: str(o.source?.component) ?? str(o.reportingComponent) ?? str(o.reportingController),
  };
}

// ---- Longhorn ---------------------------------------------------------------------------------

/** Conditions are a list in v1beta2 and were a map keyed by type before; accept both. */
function conditionList(c: unknown): LonghornVolumeFact['conditions'] {
  const list = Array.isArray(c) ? c : c && typeof c === 'object' ? Object.entries(c).map(([type, v]) => ({ type, ...(v && typeof v === 'object' ? v : {}) })) : [];
  return list.filter((x: Raw) => x && typeof x === 'object').map((x: Raw) => ({ type: String(x.type), status: String(x.status), reason: str(x.reason), message: str(x.message), lastTransitionTime: str(x.lastTransitionTime) }));
}

function foldLonghornVolume(o: Raw): LonghornVolumeFact {
  const k8s = o.status?.kubernetesStatus ?? {};
  return {
    name: o.metadata?.name,
    state: o.status?.state ?? '',
    robustness: o.status?.robustness ?? '',
    currentNodeID: str(o.status?.currentNodeID),
    nodeID: str(o.spec?.nodeID),
    pvName: str(k8s.pvName),
    pvcName: str(k8s.pvcName),
    pvcNamespace: str(k8s.namespace),
    conditions: conditionList(o.status?.conditions),
  };
}

function foldLonghornReplica(o: Raw): LonghornReplicaFact {
  return {
    name: o.metadata?.name,
    volumeName: o.spec?.volumeName ?? '',
    nodeID: o.spec?.nodeID ?? '',
    diskID: o.spec?.diskID ?? '',
    diskPath: str(o.spec?.diskPath),
    failedAt: str(o.spec?.failedAt),
    currentState: o.status?.currentState ?? '',
  };
}

function foldLonghornEngine(o: Raw): LonghornEngineFact {
  return {
    name: o.metadata?.name,
    volumeName: o.spec?.volumeName ?? '',
    nodeID: str(o.spec?.nodeID),
    currentState: o.status?.currentState ?? '',
    replicaModeMap: o.status?.replicaModeMap ?? {},
  };
}

function foldLonghornNode(o: Raw): LonghornNodeFact {
  const specDisks = o.spec?.disks ?? {};
  return {
    name: o.metadata?.name,
    disks: Object.entries((o.status?.diskStatus ?? {}) as Record<string, Raw>).map(([name, d]) => ({ name, diskUUID: d?.diskUUID ?? '', path: str(specDisks[name]?.path) })),
  };
}

function foldLonghornAttachment(o: Raw): LonghornAttachmentFact {
  const statuses = (o.status?.attachmentTicketStatuses ?? {}) as Record<string, Raw>;
  return {
    name: o.metadata?.name,
    tickets: Object.entries((o.spec?.attachmentTickets ?? {}) as Record<string, Raw>).map(([id, t]) => ({ id, type: str(t?.type), nodeID: str(t?.nodeID), satisfied: statuses[id]?.satisfied })),
  };
}

/** Longhorn kinds, keyed as `<Kind>.longhorn.io` since Node and VolumeAttachment clash with core kinds. */
const LONGHORN_FOLDERS: Record<LonghornKindKey, (l: LonghornFacts, o: Raw) => void> = {
  'Volume.longhorn.io': (l, o) => l.volumes.push(foldLonghornVolume(o)),
  'Replica.longhorn.io': (l, o) => l.replicas.push(foldLonghornReplica(o)),
  'Engine.longhorn.io': (l, o) => l.engines.push(foldLonghornEngine(o)),
  'Node.longhorn.io': (l, o) => l.nodes.push(foldLonghornNode(o)),
  // defineProperty: a setting named __proto__ must stay a setting.
  'Setting.longhorn.io': (l, o) => { Object.defineProperty(l.settings, o.metadata.name, { value: typeof o.value === 'string' ? o.value : JSON.stringify(o.value ?? ''), enumerable: true, writable: true, configurable: true }); },
  'VolumeAttachment.longhorn.io': (l, o) => l.volumeAttachments.push(foldLonghornAttachment(o)),
};

/** Where each kind's facts go in a Snapshot. Keys are API kinds. */
export const FOLDERS = {
  Node: { list: 'nodes', fold: foldNode },
  Pod: { list: 'pods', fold: foldPod },
  PersistentVolumeClaim: { list: 'pvcs', fold: foldPvc },
  PersistentVolume: { list: 'pvs', fold: foldPv },
  VolumeAttachment: { list: 'volumeAttachments', fold: foldVolumeAttachment },
  Lease: { list: 'leases', fold: foldLease },
  CSINode: { list: 'csiNodes', fold: foldCsiNode },
  CSIDriver: { list: 'csiDrivers', fold: foldCsiDriver },
  StorageClass: { list: 'storageClasses', fold: foldStorageClass },
  Event: { list: 'events', fold: foldEvent },
} as const satisfies Record<CoreKind, { list: keyof Snapshot; fold: (o: Raw) => unknown }>;

export function isFoldableKind(kind: string): kind is CoreKind {
  return Object.prototype.hasOwnProperty.call(FOLDERS, kind);
}

export type AddOutcome = 'added' | 'not-read' | { malformed: string };

/**
 * Adds one raw object of a known kind to the snapshot. 'not-read' for kinds volume-doctor does not read;
 * `{malformed}` (nothing added) when the object's shape is not what the API server writes: the caller reports it.
 */
export function addRawObject(snapshot: Snapshot, kind: string, o: Raw): AddOutcome {
  const longhorn = Object.hasOwn(LONGHORN_FOLDERS, kind) ? LONGHORN_FOLDERS[kind as LonghornKindKey] : undefined;
  if (!longhorn && !isFoldableKind(kind)) return 'not-read';
  const malformed = malformedReason(kind, o);
  if (malformed) return { malformed };
  if (longhorn) {
    snapshot.longhorn ??= emptyLonghorn();
    longhorn(snapshot.longhorn, o);
    return 'added';
  }
  if (!isFoldableKind(kind)) return 'not-read';
  if (kind === 'Lease' && o.metadata?.namespace && o.metadata.namespace !== NODE_LEASE_NAMESPACE) return 'added';
  const { list, fold } = FOLDERS[kind];
  (snapshot[list] as unknown[]).push(fold(o));
  return 'added';
}
