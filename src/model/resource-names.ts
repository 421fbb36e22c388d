// The resources volume-doctor reads, by the plural names kubectl, RBAC and `incomplete[].resource` use. Checks
// declare what they read in these names; a test keeps this list equal to what the readers actually fetch.

/** Core and storage resources, listed or fetched by both readers. */
export const CORE_RESOURCE_NAMES = [
  'nodes', 'pods', 'persistentvolumeclaims', 'persistentvolumes', 'volumeattachments', 'csinodes', 'csidrivers', 'storageclasses', 'leases', 'events',
] as const;

/** Longhorn's kinds (longhorn.io), read when the group is served. */
export const LONGHORN_RESOURCE_NAMES = [
  'volumes.longhorn.io', 'replicas.longhorn.io', 'engines.longhorn.io', 'nodes.longhorn.io', 'settings.longhorn.io', 'volumeattachments.longhorn.io',
] as const;

/** The subresource through which kubelets are asked for their own view (their pods, metrics and log). */
export const KUBELET_PROXY = 'nodes/proxy';

export type ResourceName = (typeof CORE_RESOURCE_NAMES)[number];
export type LonghornResourceName = (typeof LONGHORN_RESOURCE_NAMES)[number];
export type ReadableResource = ResourceName | LonghornResourceName | typeof KUBELET_PROXY;
