// Folds raw API objects (as the API server returns them) into the compact facts of a Snapshot.
// Shared by the live reader and the dump reader so both produce identical Snapshots.
import type {
  CsiDriverFact, CsiNodeFact, EventFact, LeaseFact, NodeFact, PodFact, PvcFact, PvFact, Snapshot,
  StorageClassFact, VolumeAttachmentFact, VolumeError,
} from '../model/snapshot.js';

/* eslint-disable @typescript-eslint/no-explicit-any */
type Raw = any;

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
const arr = <T = Raw>(v: unknown): T[] => (Array.isArray(v) ? (v as T[]) : []);

export function foldPod(o: Raw): PodFact {
  const meta = o.metadata ?? {};
  const spec = o.spec ?? {};
  const status = o.status ?? {};
  const controller = arr(meta.ownerReferences).find((r) => r.controller) ?? arr(meta.ownerReferences)[0];
  const containerStatuses = [...arr(status.initContainerStatuses), ...arr(status.containerStatuses)];
  const mainStatuses = arr(status.containerStatuses);
  const conditions = arr(status.conditions).map((c) => ({
    type: String(c.type), status: String(c.status), reason: str(c.reason), lastTransitionTime: str(c.lastTransitionTime),
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
    claims: arr(spec.volumes)
      .filter((v) => v.persistentVolumeClaim?.claimName)
      .map((v) => ({ volume: v.name, claimName: v.persistentVolumeClaim.claimName })),
    nfsVolumes: arr(spec.volumes)
      .filter((v) => v.nfs?.server)
      .map((v) => ({ volume: v.name, server: v.nfs.server, path: v.nfs.path ?? '/' })),
    waitingReasons: containerStatuses.map((c) => c.state?.waiting?.reason).filter((r): r is string => !!r),
    allContainersRunning: mainStatuses.length > 0 && mainStatuses.every((c) => !!c.state?.running),
    scheduledAt: conditions.find((c) => c.type === 'PodScheduled' && c.status === 'True')?.lastTransitionTime,
    conditions,
  };
}

export function foldPvc(o: Raw): PvcFact {
  const meta = o.metadata ?? {};
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
  };
}

export function foldPv(o: Raw): PvFact {
  const meta = o.metadata ?? {};
  const spec = o.spec ?? {};
  return {
    name: meta.name,
    uid: meta.uid ?? '',
    phase: o.status?.phase ?? 'Pending',
    accessModes: arr<string>(spec.accessModes),
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

export function foldVolumeAttachment(o: Raw): VolumeAttachmentFact {
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

export function foldNode(o: Raw): NodeFact {
  const meta = o.metadata ?? {};
  const status = o.status ?? {};
  const ready = arr(status.conditions).find((c) => c.type === 'Ready');
  return {
    name: meta.name,
    uid: meta.uid ?? '',
    resourceVersion: meta.resourceVersion ?? '',
    creationTimestamp: str(meta.creationTimestamp),
    ready: ready?.status ?? 'Unknown',
    readyReason: str(ready?.reason),
    readyMessage: str(ready?.message),
    readyTransitionTime: str(ready?.lastTransitionTime),
    lastHeartbeatTime: str(ready?.lastHeartbeatTime),
    taints: arr(o.spec?.taints).map((t) => ({ key: t.key, value: str(t.value), effect: t.effect, timeAdded: str(t.timeAdded) })),
    unschedulable: o.spec?.unschedulable === true,
    volumesAttached: arr(status.volumesAttached).map((v) => ({ name: v.name, devicePath: str(v.devicePath) })),
    volumesInUse: arr<string>(status.volumesInUse),
    controllerManagedAttachDetach: meta.annotations?.['volumes.kubernetes.io/controller-managed-attach-detach'] === 'true',
  };
}

export function foldLease(o: Raw): LeaseFact {
  return {
    name: o.metadata?.name,
    holderIdentity: str(o.spec?.holderIdentity),
    renewTime: str(o.spec?.renewTime),
    leaseDurationSeconds: o.spec?.leaseDurationSeconds,
  };
}

export function foldCsiNode(o: Raw): CsiNodeFact {
  return { name: o.metadata?.name, drivers: arr(o.spec?.drivers).map((d) => d.name) };
}

export function foldCsiDriver(o: Raw): CsiDriverFact {
  // An absent attachRequired defaults to true in the API.
  return { name: o.metadata?.name, attachRequired: o.spec?.attachRequired !== false };
}

export function foldStorageClass(o: Raw): StorageClassFact {
  const annotations = o.metadata?.annotations ?? {};
  return {
    name: o.metadata?.name,
    provisioner: o.provisioner ?? '',
    isDefault:
      annotations['storageclass.kubernetes.io/is-default-class'] === 'true' ||
      annotations['storageclass.beta.kubernetes.io/is-default-class'] === 'true',
    volumeBindingMode: str(o.volumeBindingMode),
    reclaimPolicy: str(o.reclaimPolicy),
  };
}

export function foldEvent(o: Raw): EventFact {
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
} as const satisfies Record<string, { list: keyof Snapshot; fold: (o: Raw) => unknown }>;

export type FoldableKind = keyof typeof FOLDERS;

export function isFoldableKind(kind: string): kind is FoldableKind {
  return Object.prototype.hasOwnProperty.call(FOLDERS, kind);
}

/** Adds one raw object of a known kind to the snapshot. Returns false for kinds volume-doctor does not read. */
export function addRawObject(snapshot: Snapshot, kind: string, o: Raw): boolean {
  if (!isFoldableKind(kind)) return false;
  if (kind === 'Lease' && o.metadata?.namespace && o.metadata.namespace !== 'kube-node-lease') return true;
  const { list, fold } = FOLDERS[kind];
  (snapshot[list] as unknown[]).push(fold(o));
  return true;
}
