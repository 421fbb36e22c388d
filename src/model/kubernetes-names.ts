// The names Kubernetes (and Longhorn) give things that volume-doctor reads and writes: one place for each.

/** The non-graceful node shutdown taint (Kubernetes 1.26+), as volume-doctor applies it. */
export const OUT_OF_SERVICE_TAINT = 'node.kubernetes.io/out-of-service';
export const OUT_OF_SERVICE_VALUE = 'nodeshutdown';
export const OUT_OF_SERVICE_EFFECT = 'NoExecute';

/** Set on a claim by the expand controller, naming the resizer that should grow it (in-tree plugins migrated to CSI). */
export const STORAGE_RESIZER_ANNOTATION = 'volume.kubernetes.io/storage-resizer';
/** Set on a Node whose volumes the attach/detach controller (not the kubelet) attaches. */
export const CONTROLLER_MANAGED_ATTACH_DETACH = 'volumes.kubernetes.io/controller-managed-attach-detach';
/** Marks the default StorageClass, in its GA and (still honoured) beta spellings. */
export const DEFAULT_CLASS_ANNOTATIONS = ['storageclass.kubernetes.io/is-default-class', 'storageclass.beta.kubernetes.io/is-default-class'] as const;

/** Where each node's kubelet renews its Lease, named after the node. */
export const NODE_LEASE_NAMESPACE = 'kube-node-lease';

/** Longhorn's API group and the namespace its objects live in. */
export const LONGHORN_GROUP = 'longhorn.io';
export const LONGHORN_NAMESPACE = 'longhorn-system';
/** Longhorn's CSI driver. */
export const LONGHORN_DRIVER = 'driver.longhorn.io';

/** The claim the ephemeral volume controller makes for a pod's generic ephemeral volume (spec.volumes[].ephemeral). */
export const ephemeralClaimName = (pod: string, volume: string): string => `${pod}-${volume}`;
