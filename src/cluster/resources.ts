// The resources volume-doctor reads, where they live in the API, and how their facts are folded.
import { createHash } from 'node:crypto';
import type { FoldableKind } from './fold.js';

export interface ResourceInfo {
  /** Plural resource name, as kubectl and `incomplete[].resource` name it. */
  resource: string;
  kind: FoldableKind;
  /** API path prefix, e.g. /api/v1 or /apis/storage.k8s.io/v1. */
  group: string;
  namespaced: boolean;
}

export const RESOURCES = {
  nodes: { resource: 'nodes', kind: 'Node', group: '/api/v1', namespaced: false },
  pods: { resource: 'pods', kind: 'Pod', group: '/api/v1', namespaced: true },
  persistentvolumeclaims: { resource: 'persistentvolumeclaims', kind: 'PersistentVolumeClaim', group: '/api/v1', namespaced: true },
  persistentvolumes: { resource: 'persistentvolumes', kind: 'PersistentVolume', group: '/api/v1', namespaced: false },
  volumeattachments: { resource: 'volumeattachments', kind: 'VolumeAttachment', group: '/apis/storage.k8s.io/v1', namespaced: false },
  csinodes: { resource: 'csinodes', kind: 'CSINode', group: '/apis/storage.k8s.io/v1', namespaced: false },
  csidrivers: { resource: 'csidrivers', kind: 'CSIDriver', group: '/apis/storage.k8s.io/v1', namespaced: false },
  storageclasses: { resource: 'storageclasses', kind: 'StorageClass', group: '/apis/storage.k8s.io/v1', namespaced: false },
  leases: { resource: 'leases', kind: 'Lease', group: '/apis/coordination.k8s.io/v1', namespaced: true },
  events: { resource: 'events', kind: 'Event', group: '/api/v1', namespaced: true },
} as const satisfies Record<string, ResourceInfo>;

export type ResourceName = keyof typeof RESOURCES;

/** Node Leases live here and are named after their node. */
import { NODE_LEASE_NAMESPACE } from '../model/kubernetes-names.js';
export { NODE_LEASE_NAMESPACE };

/** Events that carry volume trouble; each (type, reason) is one server-side field-selected LIST. */
export const VOLUME_EVENTS: { type: 'Warning' | 'Normal'; reason: string }[] = [
  { type: 'Warning', reason: 'FailedAttachVolume' },
  { type: 'Warning', reason: 'FailedMount' },
  { type: 'Warning', reason: 'ProvisioningFailed' },
  { type: 'Warning', reason: 'ClaimLost' },
  // A claim whose expansion fails (external-resizer or the expand controller); the never-silent rule quotes it.
  { type: 'Warning', reason: 'VolumeResizeFailed' },
  // The kubelet could not grow a volume's file system (on the pod and the claim).
  { type: 'Warning', reason: 'FileSystemResizeFailed' },
  // The scheduler's verdict on a pod it cannot place; only volume reasons (node affinity, attach limits, unbound claims) concern us.
  { type: 'Warning', reason: 'FailedScheduling' },
  { type: 'Normal', reason: 'ExternalProvisioning' },
  { type: 'Normal', reason: 'WaitForFirstConsumer' },
  // The expand controller left a claim's resize to an external resizer; with nothing after it, none is running.
  { type: 'Normal', reason: 'ExternalExpanding' },
];

export const eventSelector = (e: { type: string; reason: string }) => `type=${e.type},reason=${e.reason}`;

export function resourcePath(info: ResourceInfo, namespace?: string, name?: string): string {
  const ns = info.namespaced && namespace ? `/namespaces/${encodeURIComponent(namespace)}` : '';
  return `${info.group}${ns}/${info.resource}${name ? `/${encodeURIComponent(name)}` : ''}`;
}

/** Longhorn's CRDs (longhorn.io/v1beta2), all in longhorn-system; read only when the group is served. */
import { LONGHORN_NAMESPACE } from '../model/kubernetes-names.js';
export { LONGHORN_NAMESPACE };
export const LONGHORN_RESOURCES = [
  { resource: 'volumes.longhorn.io', plural: 'volumes', key: 'Volume.longhorn.io' },
  { resource: 'replicas.longhorn.io', plural: 'replicas', key: 'Replica.longhorn.io' },
  { resource: 'engines.longhorn.io', plural: 'engines', key: 'Engine.longhorn.io' },
  { resource: 'nodes.longhorn.io', plural: 'nodes', key: 'Node.longhorn.io' },
  { resource: 'settings.longhorn.io', plural: 'settings', key: 'Setting.longhorn.io' },
  { resource: 'volumeattachments.longhorn.io', plural: 'volumeattachments', key: 'VolumeAttachment.longhorn.io', optional: true },
] as const;

/**
 * The name the CSI attacher gives the VolumeAttachment of a volume on a node: "csi-" and the hex SHA-256 of the
 * volume handle, driver and node name run together (getAttachmentName in Kubernetes' pkg/volume/csi). Other
 * attachers may name theirs otherwise, so a 404 for this name proves only that this one name is absent.
 */
export function csiAttachmentName(volumeHandle: string, driver: string, node: string): string {
  return `csi-${createHash('sha256').update(volumeHandle + driver + node).digest('hex')}`;
}

/** Longhorn's CSI driver: a targeted run reads Longhorn's objects only for volumes of this driver. */
export const LONGHORN_DRIVER = 'driver.longhorn.io';
