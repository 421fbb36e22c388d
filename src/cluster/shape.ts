// The shape check at the readers' edge: an object whose fields volume-doctor reads have the wrong type is not
// folded at all (a pod whose nodeName is a number must not look like a pod on no node). Both readers drop such
// objects and report them, so the run is incomplete instead of wrong.
import { invalidLabel, invalidSubdomain } from '../util/names.js';

type Expected = 'string' | 'number' | 'boolean' | 'object' | 'array';

/** Field path → expected type; `[]` walks every element of an array; `*` every value of a map. null counts as absent. */
type Shape = Record<string, Expected>;

const META: Shape = {
  metadata: 'object',
  'metadata.name': 'string',
  'metadata.namespace': 'string',
  'metadata.uid': 'string',
  'metadata.resourceVersion': 'string',
  'metadata.creationTimestamp': 'string',
  'metadata.deletionTimestamp': 'string',
  'metadata.deletionGracePeriodSeconds': 'number',
  'metadata.finalizers': 'array',
  'metadata.finalizers[]': 'string',
  'metadata.annotations': 'object',
  'metadata.annotations.*': 'string',
  'metadata.ownerReferences': 'array',
  'metadata.ownerReferences[]': 'object',
  'metadata.ownerReferences[].kind': 'string',
  'metadata.ownerReferences[].name': 'string',
  'metadata.ownerReferences[].controller': 'boolean',
  spec: 'object',
  status: 'object',
};

/** An array of objects at `prefix`, each with these fields. */
const listOf = (prefix: string, fields: Shape): Shape => ({
  [prefix]: 'array',
  [`${prefix}[]`]: 'object',
  ...Object.fromEntries(Object.entries(fields).map(([field, type]) => [`${prefix}[].${field}`, type])),
});

const CONDITIONS = (prefix: string): Shape => listOf(prefix, {
  type: 'string', status: 'string', reason: 'string', message: 'string', lastTransitionTime: 'string', lastHeartbeatTime: 'string',
});

const CONTAINER_STATUSES = (prefix: string): Shape => listOf(prefix, {
  state: 'object', 'state.waiting': 'object', 'state.waiting.reason': 'string', 'state.running': 'object',
});

const REQUIREMENTS = (prefix: string): Shape => listOf(prefix, { key: 'string', operator: 'string', values: 'array', 'values[]': 'string' });

const NODE_SELECTOR = (prefix: string): Shape => ({
  ...listOf(prefix, {}),
  ...REQUIREMENTS(`${prefix}[].matchExpressions`),
  ...REQUIREMENTS(`${prefix}[].matchFields`),
});

const VOLUME_ERROR = (prefix: string): Shape => ({ [prefix]: 'object', [`${prefix}.time`]: 'string', [`${prefix}.message`]: 'string' });

const SHAPES: Record<string, Shape> = {
  Pod: {
    'spec.nodeName': 'string',
    'spec.volumes': 'array',
    'spec.volumes[]': 'object',
    'spec.volumes[].name': 'string',
    'spec.volumes[].persistentVolumeClaim': 'object',
    'spec.volumes[].persistentVolumeClaim.claimName': 'string',
    'spec.volumes[].nfs': 'object',
    'spec.volumes[].nfs.server': 'string',
    'spec.volumes[].nfs.path': 'string',
    'status.phase': 'string',
    ...CONTAINER_STATUSES('status.containerStatuses'),
    ...CONTAINER_STATUSES('status.initContainerStatuses'),
    ...CONDITIONS('status.conditions'),
  },
  PersistentVolumeClaim: {
    'spec.volumeName': 'string',
    'spec.storageClassName': 'string',
    'spec.accessModes': 'array',
    'spec.accessModes[]': 'string',
    'spec.resources': 'object',
    'spec.resources.requests': 'object',
    'status.phase': 'string',
    'status.capacity': 'object',
    'status.allocatedResources': 'object',
    'status.allocatedResourceStatuses': 'object',
    'status.allocatedResourceStatuses.storage': 'string',
    ...CONDITIONS('status.conditions'),
  },
  PersistentVolume: {
    'spec.accessModes': 'array',
    'spec.accessModes[]': 'string',
    'spec.csi': 'object',
    'spec.csi.driver': 'string',
    'spec.csi.volumeHandle': 'string',
    'spec.nfs': 'object',
    'spec.nfs.server': 'string',
    'spec.nfs.path': 'string',
    'spec.claimRef': 'object',
    'spec.claimRef.namespace': 'string',
    'spec.claimRef.name': 'string',
    'spec.claimRef.uid': 'string',
    'spec.persistentVolumeReclaimPolicy': 'string',
    'spec.storageClassName': 'string',
    'spec.capacity': 'object',
    ...NODE_SELECTOR('spec.nodeAffinity.required.nodeSelectorTerms'),
    'spec.nodeAffinity': 'object',
    'spec.nodeAffinity.required': 'object',
    'status.phase': 'string',
  },
  VolumeAttachment: {
    'spec.attacher': 'string',
    'spec.nodeName': 'string',
    'spec.source': 'object',
    'spec.source.persistentVolumeName': 'string',
    'status.attached': 'boolean',
    ...VOLUME_ERROR('status.attachError'),
    ...VOLUME_ERROR('status.detachError'),
  },
  Node: {
    'metadata.labels': 'object',
    'metadata.labels.*': 'string',
    'spec.taints': 'array',
    'spec.taints[]': 'object',
    'spec.taints[].key': 'string',
    'spec.taints[].value': 'string',
    'spec.taints[].effect': 'string',
    'spec.taints[].timeAdded': 'string',
    'spec.unschedulable': 'boolean',
    ...CONDITIONS('status.conditions'),
    'status.volumesAttached': 'array',
    'status.volumesAttached[]': 'object',
    'status.volumesAttached[].name': 'string',
    'status.volumesAttached[].devicePath': 'string',
    'status.volumesInUse': 'array',
    'status.volumesInUse[]': 'string',
  },
  Lease: {
    'spec.holderIdentity': 'string',
    'spec.renewTime': 'string',
    'spec.leaseDurationSeconds': 'number',
  },
  CSINode: {
    'spec.drivers': 'array', 'spec.drivers[]': 'object', 'spec.drivers[].name': 'string',
    'spec.drivers[].allocatable': 'object', 'spec.drivers[].allocatable.count': 'number',
  },
  CSIDriver: { 'spec.attachRequired': 'boolean' },
  StorageClass: { provisioner: 'string', volumeBindingMode: 'string', reclaimPolicy: 'string', allowVolumeExpansion: 'boolean' },
  Event: {
    involvedObject: 'object',
    'involvedObject.kind': 'string',
    'involvedObject.namespace': 'string',
    'involvedObject.name': 'string',
    'involvedObject.uid': 'string',
    regarding: 'object',
    'regarding.kind': 'string',
    'regarding.namespace': 'string',
    'regarding.name': 'string',
    reason: 'string',
    type: 'string',
    message: 'string',
    note: 'string',
    count: 'number',
    series: 'object',
    'series.count': 'number',
    'series.lastObservedTime': 'string',
    firstTimestamp: 'string',
    lastTimestamp: 'string',
    eventTime: 'string',
    source: 'object',
    'source.component': 'string',
    reportingComponent: 'string',
    reportingController: 'string',
  },
  'Volume.longhorn.io': {
    'status.state': 'string',
    'status.robustness': 'string',
    'status.currentNodeID': 'string',
    'spec.nodeID': 'string',
    'status.kubernetesStatus': 'object',
    'status.kubernetesStatus.pvName': 'string',
    'status.kubernetesStatus.pvcName': 'string',
    'status.kubernetesStatus.namespace': 'string',
  },
  'Replica.longhorn.io': {
    'spec.volumeName': 'string', 'spec.nodeID': 'string', 'spec.diskID': 'string', 'spec.diskPath': 'string', 'spec.failedAt': 'string', 'status.currentState': 'string',
  },
  'Engine.longhorn.io': { 'spec.volumeName': 'string', 'spec.nodeID': 'string', 'status.currentState': 'string', 'status.replicaModeMap': 'object', 'status.replicaModeMap.*': 'string' },
  'Node.longhorn.io': { 'spec.disks': 'object', 'spec.disks.*': 'object', 'spec.disks.*.path': 'string', 'status.diskStatus': 'object', 'status.diskStatus.*': 'object', 'status.diskStatus.*.diskUUID': 'string' },
  'Setting.longhorn.io': {},
  'VolumeAttachment.longhorn.io': {
    'spec.attachmentTickets': 'object',
    'spec.attachmentTickets.*': 'object',
    'spec.attachmentTickets.*.type': 'string',
    'spec.attachmentTickets.*.nodeID': 'string',
    'status.attachmentTicketStatuses': 'object',
    'status.attachmentTicketStatuses.*': 'object',
    'status.attachmentTicketStatuses.*.satisfied': 'boolean',
  },
};

/** Fields without which an object cannot be used at all, beyond metadata.name. */
const REQUIRED: Record<string, string[]> = {
  VolumeAttachment: ['spec.nodeName', 'spec.attacher'],
};

const article = (t: string) => (/^[aeiou]/.test(t) ? `an ${t}` : `a ${t}`);

function typeOf(v: unknown): Expected | 'other' {
  if (Array.isArray(v)) return 'array';
  const t = typeof v;
  return t === 'string' || t === 'number' || t === 'boolean' || (t === 'object' && v !== null) ? (t as Expected) : 'other';
}

interface PathPart { name: string; array: boolean; star: boolean }

const compiledPaths = new Map<string, PathPart[]>();

/** A path split once into its parts (`name`, `name[]`, `*`). */
function compilePath(path: string): PathPart[] {
  let parts = compiledPaths.get(path);
  if (!parts) {
    parts = path.split('.').map((part) => {
      const array = part.endsWith('[]');
      const name = array ? part.slice(0, -2) : part;
      return { name, array, star: name === '*' };
    });
    compiledPaths.set(path, parts);
  }
  return parts;
}

/**
 * Visits the values at a path, depth first in document order, with `[]` and `*` expanded; absent and null values
 * are skipped. `at()` spells where the value is (only built when asked: this runs on every object read). Stops at
 * and returns the first value `stop` accepts.
 */
function findAt(o: unknown, path: string, stop: (value: unknown) => boolean): { at: string; value: unknown } | undefined {
  const parts = compilePath(path);
  const where: string[] = [];
  const walk = (value: unknown, i: number): { at: string; value: unknown } | undefined => {
    if (i === parts.length) return stop(value) ? { at: where.join(''), value } : undefined;
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
    const part = parts[i];
    const keys = part.star ? Object.keys(value) : [part.name];
    for (const key of keys) {
      const child = (value as Record<string, unknown>)[key];
      if (child === undefined || child === null) continue;
      where.push(i === 0 ? key : `.${key}`);
      if (part.array) {
        // The array itself is checked by its own entry. A null element is not absent: the API server never writes
        // one, and folds would trip on it.
        if (Array.isArray(child)) {
          for (let e = 0; e < child.length; e++) {
            where.push(`[${e}]`);
            const found = walk(child[e], i + 1);
            where.pop();
            if (found) return found;
          }
        }
      } else {
        const found = walk(child, i + 1);
        if (found) return found;
      }
      where.pop();
    }
    return undefined;
  };
  return walk(o, 0);
}

const shapes = new Map<string, [string, Expected][]>();

/** The fields checked on every object of a kind: the metadata's, then the kind's own. */
function shapeOf(kind: string): [string, Expected][] {
  let shape = shapes.get(kind);
  if (!shape) {
    shape = Object.entries({ ...META, ...(Object.hasOwn(SHAPES, kind) ? SHAPES[kind] : {}) });
    shapes.set(kind, shape);
  }
  return shape;
}

/**
 * Why an object of this kind cannot be read, or undefined when its shape is what the API server writes.
 * `kind` is the key addRawObject files it under (Longhorn kinds qualified by group).
 */
export function malformedReason(kind: string, o: unknown): string | undefined {
  if (typeOf(o) !== 'object') return `a ${kind} that is not an object`;
  for (const [path, expected] of shapeOf(kind)) {
    const wrong = findAt(o, path, (value) => typeOf(value) !== expected);
    if (wrong) {
      const actual = typeOf(wrong.value);
      return `${wrong.at} is ${wrong.value === null ? 'null' : article(actual === 'other' ? typeof wrong.value : actual)}, not ${article(expected)}`;
    }
  }
  const meta = (o as { metadata?: { name?: unknown } }).metadata;
  if (typeof meta?.name !== 'string' || meta.name === '') return 'it has no metadata.name';
  for (const path of Object.hasOwn(REQUIRED, kind) ? REQUIRED[kind] : []) {
    const v = findAt(o, path, () => true)?.value;
    if (typeof v !== 'string' || v === '') return `it has no ${path}`;
  }
  return invalidName(kind, o);
}

// Names as the API server validates them. A real server never returns others; a dump or a hostile server can,
// and these names end up in the kubectl commands we print, so an object carrying one is not read.
type NameRule = 'subdomain' | 'label';
const OBJECT_NAMES: Record<string, NameRule> = { 'metadata.name': 'subdomain', 'metadata.namespace': 'label' };
const REFERENCED_NAMES: Record<string, Record<string, NameRule>> = {
  // A volume's name is part of the claim name of a generic ephemeral volume (<pod>-<volume>).
  Pod: { 'spec.nodeName': 'subdomain', 'spec.volumes[].name': 'label', 'spec.volumes[].persistentVolumeClaim.claimName': 'subdomain' },
  PersistentVolumeClaim: { 'spec.volumeName': 'subdomain' },
  PersistentVolume: { 'spec.claimRef.name': 'subdomain', 'spec.claimRef.namespace': 'label' },
  VolumeAttachment: { 'spec.nodeName': 'subdomain', 'spec.source.persistentVolumeName': 'subdomain' },
};
// Events are named after objects of any kind (some, like RBAC roles, with ':'); their names reach no command.
const NAMES_NOT_CHECKED = new Set(['Event']);

function invalidName(kind: string, o: unknown): string | undefined {
  if (NAMES_NOT_CHECKED.has(kind)) return undefined;
  const rules = { ...OBJECT_NAMES, ...(Object.hasOwn(REFERENCED_NAMES, kind) ? REFERENCED_NAMES[kind] : {}) };
  for (const [path, rule] of Object.entries(rules)) {
    const bad = findAt(o, path, (value) => typeof value === 'string' && value !== '' && !!(rule === 'label' ? invalidLabel(value) : invalidSubdomain(value)));
    if (bad) {
      const value = bad.value as string;
      const shown = value.length > 80 ? `${value.slice(0, 80)}…` : value;
      return `${bad.at} ${JSON.stringify(shown)} is not a valid Kubernetes name (${rule === 'label' ? 'an RFC 1123 label' : 'an RFC 1123 subdomain'})`;
    }
  }
  return undefined;
}

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?([Zz]|[+-](\d{2}):(\d{2}))$/;

/**
 * Milliseconds of an RFC 3339 timestamp as the API server writes it, or undefined: stricter than Date.parse,
 * which reads "1" as 2001 and rolls 2026-02-30 over to March 2.
 */
export function parseRfc3339(text: unknown): number | undefined {
  if (typeof text !== 'string') return undefined;
  const m = RFC3339.exec(text);
  if (!m) return undefined;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number);
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  const days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1];
  if (days === undefined || day < 1 || day > days || hour > 23 || minute > 59 || second > 59) return undefined;
  if (m[9] !== undefined && (Number(m[9]) > 23 || Number(m[10]) > 59)) return undefined;
  const ms = Date.parse(text.toUpperCase());
  return Number.isNaN(ms) ? undefined : ms;
}
