// The misbehaving server serving a set of objects as kube-apiserver would for a targeted read: each object in its
// collection, field selectors honoured (spec.nodeName, involvedObject.*, metadata.name, type, reason), LISTs paged
// by `limit` and `continue`, and Longhorn's group served when Longhorn objects are among them.
import { KubeClient } from '../../src/cluster/kube-client.js';
import type { Target } from '../../src/cluster/live-reader.js';
import { listKind, LoggedRequest, MisbehavingServer, Override, Reply, startMisbehavingServer } from './misbehaving-server.js';
import type { Raw } from '../fixtures/builders.js';

const PLURALS: Record<string, string> = {
  Node: 'nodes', Pod: 'pods', PersistentVolumeClaim: 'persistentvolumeclaims', PersistentVolume: 'persistentvolumes',
  VolumeAttachment: 'volumeattachments', CSINode: 'csinodes', CSIDriver: 'csidrivers', StorageClass: 'storageclasses',
  Lease: 'leases', Event: 'events', Volume: 'volumes', Replica: 'replicas', Engine: 'engines', Setting: 'settings',
};

/** The collection an object lives in, as kube-apiserver serves it. */
function collectionOf(o: Raw): string {
  const plural = PLURALS[o.kind];
  if (o.apiVersion.startsWith('longhorn.io/')) return `/apis/longhorn.io/v1beta2/namespaces/longhorn-system/${o.kind === 'VolumeAttachment' ? 'volumeattachments' : o.kind === 'Node' ? 'nodes' : plural}`;
  const group = o.apiVersion === 'v1' ? '/api/v1' : `/apis/${o.apiVersion}`;
  return o.metadata.namespace ? `${group}/namespaces/${o.metadata.namespace}/${plural}` : `${group}/${plural}`;
}

const FIELDS: Record<string, (o: Raw) => unknown> = {
  'spec.nodeName': (o) => o.spec?.nodeName ?? '',
  'involvedObject.kind': (o) => o.involvedObject?.kind,
  'involvedObject.name': (o) => o.involvedObject?.name,
  'metadata.name': (o) => o.metadata?.name,
  type: (o) => o.type,
  reason: (o) => o.reason,
};

/** A collection's path (a LIST), all namespaces or one; not a named object's, nor a group's discovery. */
const COLLECTION = /^\/(api\/v1|apis\/[^/]+\/[^/]+)(\/namespaces\/[^/]+)?\/[a-z]+$/;

/**
 * One page of a LIST as kube-apiserver answers `limit` and `continue`: at most `limit` items, and while items
 * remain a continue token and their count.
 */
function page(req: LoggedRequest, items: Raw[]): Reply {
  const from = Number(req.query.get('continue') ?? 0);
  const limit = Number(req.query.get('limit') ?? 0);
  const to = limit > 0 ? Math.min(from + limit, items.length) : items.length;
  const metadata = to < items.length ? { resourceVersion: '1', continue: String(to), remainingItemCount: items.length - to } : { resourceVersion: '1' };
  return { body: { kind: listKind(req.path), apiVersion: 'v1', metadata, items: items.slice(from, to) } };
}

/**
 * Serves `objects` with field selectors and `limit` honoured, and Longhorn's group when it holds Longhorn objects;
 * `extra` answers first where a test wants more (the node proxy, a write that fails).
 */
export async function serveObjects(objects: Raw[], extra?: Override): Promise<MisbehavingServer> {
  const byCollection: Record<string, Raw[]> = {};
  for (const o of objects) (byCollection[collectionOf(o)] ??= []).push(o);
  const longhorn = objects.some((o) => o.apiVersion.startsWith('longhorn.io/'));
  const override = async (req: LoggedRequest): Promise<Reply | undefined> => {
    const answer = await extra?.(req);
    if (answer) return answer;
    if (req.path === '/apis/longhorn.io' && longhorn) return { body: { kind: 'APIGroup', name: 'longhorn.io', versions: [{ groupVersion: 'longhorn.io/v1beta2', version: 'v1beta2' }] } };
    if (req.method !== 'GET' || !COLLECTION.test(req.path)) return undefined;
    const all = Object.entries(byCollection).filter(([p]) => p === req.path || (p.endsWith(req.path.slice(req.path.lastIndexOf('/'))) && p.startsWith(req.path.replace(/\/[^/]+$/, '/namespaces/')))).flatMap(([, items]) => items);
    const selector = req.query.get('fieldSelector');
    if (!selector && all.length === 0) return undefined;
    const terms = selector ? selector.split(',').map((t) => t.split('=')) : [];
    for (const [field] of terms) if (!FIELDS[field]) throw new Error(`the stub does not know field selector ${field}`);
    return page(req, all.filter((o) => terms.every(([field, value]) => FIELDS[field](o) === value)));
  };
  return startMisbehavingServer(byCollection, override);
}

export async function clientOf(s: MisbehavingServer): Promise<KubeClient> {
  return KubeClient.load({ kubeconfig: s.kubeconfig, requestTimeoutMs: 5000 });
}

/** Every pod, claim, volume, node and attachment among `objects` (Longhorn's own kinds aside), as targets. */
export function targetsOf(objects: Raw[]): Target[] {
  const resources: Record<string, Target['resource']> = { Pod: 'pods', PersistentVolumeClaim: 'persistentvolumeclaims', PersistentVolume: 'persistentvolumes', Node: 'nodes', VolumeAttachment: 'volumeattachments' };
  return objects.filter((o) => resources[o.kind] && !o.apiVersion.startsWith('longhorn.io/'))
    .map((o) => ({ resource: resources[o.kind], name: o.metadata.name, namespace: o.metadata.namespace }));
}
