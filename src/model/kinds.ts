// The kinds volume-doctor reads, one entry each. Everything else is derived from here: the API paths the readers
// ask, the TYPE names the command line takes, the resource names `incomplete[].resource` and checks' `reads` use,
// and the singular that messages say.
import { LONGHORN_GROUP } from './kubernetes-names.js';

export interface KindInfo {
  /** As in an object's `kind`. */
  readonly kind: string;
  /** The plural, as kubectl, RBAC and `incomplete[].resource` name it: qualified by group for Longhorn's. */
  readonly resource: string;
  /** The plural as it stands in an API path. */
  readonly plural: string;
  readonly singular: string;
  /** kubectl's short names. */
  readonly shortNames: readonly string[];
  /** group/version, or the version alone for the core group. */
  readonly apiVersion: string;
  readonly namespaced: boolean;
}

/** Core and storage kinds, listed or fetched by both readers; keyed by resource. */
export const CORE_KINDS = {
  nodes: { kind: 'Node', resource: 'nodes', plural: 'nodes', singular: 'node', shortNames: ['no'], apiVersion: 'v1', namespaced: false },
  pods: { kind: 'Pod', resource: 'pods', plural: 'pods', singular: 'pod', shortNames: ['po'], apiVersion: 'v1', namespaced: true },
  persistentvolumeclaims: {
    kind: 'PersistentVolumeClaim', resource: 'persistentvolumeclaims', plural: 'persistentvolumeclaims', singular: 'persistentvolumeclaim',
    shortNames: ['pvc'], apiVersion: 'v1', namespaced: true,
  },
  persistentvolumes: {
    kind: 'PersistentVolume', resource: 'persistentvolumes', plural: 'persistentvolumes', singular: 'persistentvolume',
    shortNames: ['pv'], apiVersion: 'v1', namespaced: false,
  },
  volumeattachments: {
    kind: 'VolumeAttachment', resource: 'volumeattachments', plural: 'volumeattachments', singular: 'volumeattachment',
    shortNames: [], apiVersion: 'storage.k8s.io/v1', namespaced: false,
  },
  csinodes: { kind: 'CSINode', resource: 'csinodes', plural: 'csinodes', singular: 'csinode', shortNames: [], apiVersion: 'storage.k8s.io/v1', namespaced: false },
  csidrivers: { kind: 'CSIDriver', resource: 'csidrivers', plural: 'csidrivers', singular: 'csidriver', shortNames: [], apiVersion: 'storage.k8s.io/v1', namespaced: false },
  storageclasses: {
    kind: 'StorageClass', resource: 'storageclasses', plural: 'storageclasses', singular: 'storageclass', shortNames: ['sc'], apiVersion: 'storage.k8s.io/v1', namespaced: false,
  },
  leases: { kind: 'Lease', resource: 'leases', plural: 'leases', singular: 'lease', shortNames: [], apiVersion: 'coordination.k8s.io/v1', namespaced: true },
  events: { kind: 'Event', resource: 'events', plural: 'events', singular: 'event', shortNames: ['ev'], apiVersion: 'v1', namespaced: true },
} as const satisfies Record<string, KindInfo>;

const LONGHORN_VERSION = `${LONGHORN_GROUP}/v1beta2`;

/** Longhorn's kinds (longhorn.io/v1beta2, all in longhorn-system), read when the group is served; keyed by resource. */
export const LONGHORN_KINDS = {
  'volumes.longhorn.io': {
    kind: 'Volume', resource: 'volumes.longhorn.io', plural: 'volumes', singular: 'volume', shortNames: ['lhv'], apiVersion: LONGHORN_VERSION, namespaced: true,
  },
  'replicas.longhorn.io': {
    kind: 'Replica', resource: 'replicas.longhorn.io', plural: 'replicas', singular: 'replica', shortNames: ['lhr'], apiVersion: LONGHORN_VERSION, namespaced: true,
  },
  'engines.longhorn.io': {
    kind: 'Engine', resource: 'engines.longhorn.io', plural: 'engines', singular: 'engine', shortNames: ['lhe'], apiVersion: LONGHORN_VERSION, namespaced: true,
  },
  'nodes.longhorn.io': {
    kind: 'Node', resource: 'nodes.longhorn.io', plural: 'nodes', singular: 'node', shortNames: ['lhn'], apiVersion: LONGHORN_VERSION, namespaced: true,
  },
  'settings.longhorn.io': {
    kind: 'Setting', resource: 'settings.longhorn.io', plural: 'settings', singular: 'setting', shortNames: ['lhs'], apiVersion: LONGHORN_VERSION, namespaced: true,
  },
  // Served only from Longhorn 1.5: a 404 for it means an older Longhorn, not a read that failed.
  'volumeattachments.longhorn.io': {
    kind: 'VolumeAttachment', resource: 'volumeattachments.longhorn.io', plural: 'volumeattachments', singular: 'volumeattachment',
    shortNames: ['lhva'], apiVersion: LONGHORN_VERSION, namespaced: true, optional: true,
  },
} as const satisfies Record<string, KindInfo & { optional?: true }>;

/** The subresource through which kubelets are asked for their own view (their pods, metrics and log). */
export const KUBELET_PROXY = 'nodes/proxy';

export type ResourceName = keyof typeof CORE_KINDS;
type LonghornResourceName = keyof typeof LONGHORN_KINDS;
/** What a check may name in `reads`. */
export type ReadableResource = ResourceName | LonghornResourceName | typeof KUBELET_PROXY;
export type CoreKind = (typeof CORE_KINDS)[ResourceName]['kind'];
/** Longhorn's kinds as objects are filed: `<Kind>.longhorn.io`, since Node and VolumeAttachment clash with core kinds. */
export type LonghornKindKey = `${(typeof LONGHORN_KINDS)[LonghornResourceName]['kind']}.${typeof LONGHORN_GROUP}`;

/** The key an object of this kind is filed under: its kind, qualified by group for Longhorn's. */
export function kindKey(kind: string, apiVersion: string | undefined): string {
  return apiVersion?.startsWith(`${LONGHORN_GROUP}/`) ? `${kind}.${LONGHORN_GROUP}` : kind;
}

const BY_KEY = new Map<string, KindInfo>([
  ...Object.values(CORE_KINDS).map((k): [string, KindInfo] => [k.kind, k]),
  ...Object.values(LONGHORN_KINDS).map((k): [string, KindInfo] => [kindKey(k.kind, k.apiVersion), k]),
]);

/** A kind read, by the key objects are filed under (see kindKey). */
export function kindByKey(key: string): KindInfo | undefined {
  return BY_KEY.get(key);
}

/** A core kind by its resource name, or undefined for any other name. */
export function coreKind(resource: string): KindInfo | undefined {
  return Object.hasOwn(CORE_KINDS, resource) ? CORE_KINDS[resource as ResourceName] : undefined;
}

/** The API path of a kind's collection (in a namespace, for a namespaced kind) or of one object. */
export function resourcePath(info: KindInfo, namespace?: string, name?: string): string {
  const prefix = info.apiVersion.includes('/') ? `/apis/${info.apiVersion}` : `/api/${info.apiVersion}`;
  const ns = info.namespaced && namespace ? `/namespaces/${encodeURIComponent(namespace)}` : '';
  return `${prefix}${ns}/${info.plural}${name ? `/${encodeURIComponent(name)}` : ''}`;
}

/**
 * The kinds a run can be focused on (TYPE/NAME), with the name help and messages give each, and the spellings the
 * command line takes besides kubectl's singular, plural, short and group-qualified names.
 */
export const TARGET_TYPES = {
  pods: { name: 'pod', alsoAccepted: [] },
  persistentvolumeclaims: { name: 'pvc', alsoAccepted: ['pvcs'] },
  persistentvolumes: { name: 'pv', alsoAccepted: ['pvs'] },
  nodes: { name: 'node', alsoAccepted: [] },
  volumeattachments: { name: 'volumeattachment', alsoAccepted: [] },
} as const satisfies Partial<Record<ResourceName, { name: string; alsoAccepted: readonly string[] }>>;

export type TargetResource = keyof typeof TARGET_TYPES;
export const TARGET_RESOURCES = Object.keys(TARGET_TYPES) as TargetResource[];

/** Every TYPE that names a target's kind on the command line, lower-case. */
export function targetTypeNames(resource: TargetResource): string[] {
  const k: KindInfo = CORE_KINDS[resource];
  const group = k.apiVersion.includes('/') ? k.apiVersion.split('/')[0] : undefined;
  return [
    k.singular, k.resource, ...k.shortNames, ...TARGET_TYPES[resource].alsoAccepted,
    ...(group ? [`${k.singular}.${group}`, `${k.resource}.${group}`] : []),
  ];
}
