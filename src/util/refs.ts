import type { ObjectRef } from '../model/snapshot.js';

export function refKey(ref: ObjectRef): string {
  return ref.namespace ? `${ref.kind}/${ref.namespace}/${ref.name}` : `${ref.kind}/${ref.name}`;
}

/** kubectl's way of naming an object in prose: pod/web-0 -n shop. */
export function describeRef(ref: ObjectRef): string {
  return `${ref.kind.toLowerCase()}/${ref.name}${ref.namespace ? ` -n ${ref.namespace}` : ''}`;
}

/** Short form used inside sentences: shop/web-0 or worker-2. */
export function shortName(ref: { namespace?: string; name: string }): string {
  return ref.namespace ? `${ref.namespace}/${ref.name}` : ref.name;
}

export function sameRef(a: ObjectRef, b: ObjectRef): boolean {
  return a.kind === b.kind && a.name === b.name && (a.namespace ?? '') === (b.namespace ?? '');
}

export function uniqueRefs(refs: ObjectRef[]): ObjectRef[] {
  const seen = new Map<string, ObjectRef>();
  for (const ref of refs) if (!seen.has(refKey(ref))) seen.set(refKey(ref), ref);
  return [...seen.values()];
}

export const podRef = (p: { namespace: string; name: string }): ObjectRef => ({ kind: 'Pod', namespace: p.namespace, name: p.name });
export const nodeRef = (name: string): ObjectRef => ({ kind: 'Node', name });
export const pvRef = (name: string): ObjectRef => ({ kind: 'PersistentVolume', name });
export const pvcRef = (p: { namespace: string; name: string }): ObjectRef => ({ kind: 'PersistentVolumeClaim', namespace: p.namespace, name: p.name });
export const vaRef = (name: string): ObjectRef => ({ kind: 'VolumeAttachment', name });
