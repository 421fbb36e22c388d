// Reads a live cluster into a Snapshot, following DESIGN.md's performance rules:
// one paginated LIST per kind cluster-wide, server-side event filters, and for a target only GETs
// and field-selected LISTs along the object graph (never every pod of the cluster).
import type { PodFact, PvFact, Snapshot } from '../model/snapshot.js';
import { parseVersion } from './version.js';
import { emptySnapshot } from '../model/snapshot.js';
import { addRawObject } from './fold.js';
import { ApiError, KubeClient, notFound } from './kube-client.js';
import {
  eventSelector, LONGHORN_NAMESPACE, LONGHORN_RESOURCES, NODE_LEASE_NAMESPACE, RESOURCES, ResourceName, VOLUME_EVENTS, resourcePath,
} from './resources.js';
import { LONGHORN_GROUP } from './fold.js';
import { emptyLonghorn } from '../model/snapshot.js';
import { runLimited } from '../util/concurrency.js';

export type TargetResource = 'pods' | 'persistentvolumeclaims' | 'persistentvolumes' | 'nodes' | 'volumeattachments';

export interface Target {
  resource: TargetResource;
  name: string;
  /** For namespaced targets (pods, persistentvolumeclaims). */
  namespace?: string;
}

export interface LiveReadOptions {
  /** Namespace for pods, claims and events; undefined reads all namespaces. */
  namespace?: string;
  target?: Target;
  now: string;
  concurrency?: number;
}

/* eslint-disable @typescript-eslint/no-explicit-any */
type Raw = any;

/** Collects facts into a Snapshot; a resource the user may not read is recorded as incomplete instead of failing. */
class Collector {
  readonly snapshot: Snapshot;
  private readonly fetched = new Set<string>();

  constructor(readonly client: KubeClient, now: string, namespace: string | undefined) {
    this.snapshot = emptySnapshot(now, { type: 'cluster', context: client.contextName, server: client.server });
    this.snapshot.namespace = namespace;
  }

  private skipUnreadable(resource: string, err: unknown): void {
    if (!(err instanceof ApiError)) throw err;
    if (this.snapshot.incomplete.some((i) => i.resource === resource)) return;
    const reason = err.status === 403
      ? `forbidden: ${err.message}`
      : err.status === 404 ? 'not served by this API server' : `${err.status} ${err.reason}: ${err.message}`;
    this.snapshot.incomplete.push({ resource, reason });
  }

  /** One paginated LIST, folded page by page. */
  async list(resource: ResourceName, namespace?: string, fieldSelector?: string): Promise<void> {
    const info = RESOURCES[resource];
    try {
      await this.client.list(resourcePath(info, namespace), { fieldSelector }, (items) => {
        for (const item of items as Raw[]) if (this.remember(resource, item)) addRawObject(this.snapshot, info.kind, item);
      });
    } catch (err) {
      this.skipUnreadable(resource, err);
    }
  }

  /** A targeted GET, once per object; undefined when missing or unreadable. */
  async get(resource: ResourceName, name: string, namespace?: string): Promise<Raw | undefined> {
    const info = RESOURCES[resource];
    const key = `${resource}/${namespace ?? ''}/${name}`;
    if (this.fetched.has(key)) return undefined;
    try {
      const obj = await this.client.get<Raw>(resourcePath(info, namespace, name));
      if (obj && this.remember(resource, obj)) addRawObject(this.snapshot, info.kind, obj);
      return obj;
    } catch (err) {
      this.skipUnreadable(resource, err);
      return undefined;
    }
  }

  /** Keeps each object once, whichever request brought it. */
  private remember(resource: ResourceName, obj: Raw): boolean {
    const key = `${resource}/${obj.metadata?.namespace ?? ''}/${obj.metadata?.name}`;
    if (this.fetched.has(key)) return false;
    this.fetched.add(key);
    return true;
  }

  /**
   * Longhorn costs one discovery request when it is absent. When present, each of its kinds is one LIST in
   * longhorn-system; Longhorn's own volumeattachments exist only from 1.5 and may be missing.
   */
  async longhorn(): Promise<void> {
    let group: unknown;
    try {
      group = await this.client.get(`/apis/${LONGHORN_GROUP}`);
    } catch (err) {
      this.skipUnreadable(`apis/${LONGHORN_GROUP}`, err);
      return;
    }
    if (!group) return;
    this.snapshot.longhorn = emptyLonghorn();
    await Promise.all(LONGHORN_RESOURCES.map(async (r) => {
      try {
        await this.client.list(`/apis/${LONGHORN_GROUP}/v1beta2/namespaces/${LONGHORN_NAMESPACE}/${r.plural}`, {}, (items) => {
          for (const item of items) addRawObject(this.snapshot, r.key, item);
        });
      } catch (err) {
        if ('optional' in r && err instanceof ApiError && err.status === 404) return;
        this.skipUnreadable(r.resource, err);
      }
    }));
  }

  async version(): Promise<void> {
    try {
      const v = await this.client.get<{ major?: string; minor?: string; gitVersion?: string }>('/version');
      if (v) this.snapshot.serverVersion = parseVersion(v);
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
    }
  }
}

export async function readCluster(client: KubeClient, options: LiveReadOptions): Promise<Snapshot> {
  const c = new Collector(client, options.now, options.target ? undefined : options.namespace);
  // /version first: it fails fast and clearly when the server is unreachable.
  await c.version();
  const limit = options.concurrency ?? 6;
  if (options.target) await readTarget(c, options.target, limit);
  else await readAll(c, options.namespace, limit);
  return c.snapshot;
}

async function readAll(c: Collector, namespace: string | undefined, limit: number): Promise<void> {
  const tasks: (() => Promise<unknown>)[] = [
    () => c.list('nodes'),
    () => c.list('pods', namespace),
    () => c.list('persistentvolumeclaims', namespace),
    () => c.list('persistentvolumes'),
    () => c.list('volumeattachments'),
    () => c.list('csinodes'),
    () => c.list('csidrivers'),
    () => c.list('storageclasses'),
    () => c.list('leases', NODE_LEASE_NAMESPACE),
    ...VOLUME_EVENTS.map((e) => () => c.list('events', namespace, eventSelector(e))),
    () => c.longhorn(),
  ];
  await runLimited(tasks.map((t) => async () => void (await t())), limit);
}

/**
 * Follows the graph from one object: pod → claims → volumes → attachments → nodes, and back from nodes to
 * the pods scheduled there (field-selected), so both the waiting pod and what holds its volume are seen.
 */
async function readTarget(c: Collector, target: Target, limit: number): Promise<void> {
  const all = async (tasks: (() => Promise<unknown>)[]) => runLimited(tasks.map((t) => async () => void (await t())), limit);
  const vas = c.list('volumeattachments');
  const pvNames = new Set<string>();
  const nodeNames = new Set<string>();
  const claimKeys = new Set<string>();
  const podNamespaces = new Set<string>();

  const addPodClaims = (pod: PodFact | undefined) => {
    if (!pod) return;
    if (pod.nodeName) nodeNames.add(pod.nodeName);
    for (const claim of pod.claims) claimKeys.add(`${pod.namespace}/${claim.claimName}`);
  };
  const fetchClaims = async () => {
    await all([...claimKeys].map((k) => async () => {
      const [ns, name] = k.split('/');
      const pvc = await c.get('persistentvolumeclaims', name, ns);
      if (pvc?.spec?.volumeName) pvNames.add(pvc.spec.volumeName);
    }));
  };

  switch (target.resource) {
    case 'pods': {
      const pod = await c.get('pods', target.name, target.namespace);
      if (!pod) throw notFound('pods', target.name, target.namespace);
      addPodClaims(c.snapshot.pods.at(-1));
      podNamespaces.add(target.namespace!);
      await c.list('events', target.namespace, `involvedObject.kind=Pod,involvedObject.name=${target.name},type=Warning`);
      break;
    }
    case 'persistentvolumeclaims': {
      const pvc = await c.get('persistentvolumeclaims', target.name, target.namespace);
      if (!pvc) throw notFound('persistentvolumeclaims', target.name, target.namespace);
      if (pvc.spec?.volumeName) pvNames.add(pvc.spec.volumeName);
      podNamespaces.add(target.namespace!);
      break;
    }
    case 'persistentvolumes': {
      const pv = await c.get('persistentvolumes', target.name);
      if (!pv) throw notFound('persistentvolumes', target.name);
      pvNames.add(target.name);
      const claim = pv.spec?.claimRef;
      if (claim?.name) {
        claimKeys.add(`${claim.namespace}/${claim.name}`);
        podNamespaces.add(claim.namespace);
      }
      break;
    }
    case 'nodes': {
      const node = await c.get('nodes', target.name);
      if (!node) throw notFound('nodes', target.name);
      nodeNames.add(target.name);
      // volumesInUse names volumes by driver and handle, not by PV name: every PV is needed to map them back.
      await c.list('persistentvolumes');
      for (const pv of c.snapshot.pvs) pvNames.add(pv.name);
      break;
    }
    case 'volumeattachments': {
      const va = await c.get('volumeattachments', target.name);
      if (!va) throw notFound('volumeattachments', target.name);
      if (va.spec?.nodeName) nodeNames.add(va.spec.nodeName);
      if (va.spec?.source?.persistentVolumeName) pvNames.add(va.spec.source.persistentVolumeName);
      break;
    }
  }

  await vas;
  await fetchClaims();
  // Provisioning and binding events of the claims in view (Pending claims explain themselves only there).
  await all([...claimKeys].flatMap((k) => {
    const [ns, name] = k.split('/');
    return [() => c.list('events', ns, `involvedObject.kind=PersistentVolumeClaim,involvedObject.name=${name}`)];
  }));
  await all([...pvNames].map((name) => () => c.get('persistentvolumes', name)));
  const pvs: PvFact[] = c.snapshot.pvs.filter((pv) => pvNames.has(pv.name));
  for (const pv of pvs) {
    if (pv.claimRef && target.resource !== 'nodes') {
      claimKeys.add(`${pv.claimRef.namespace}/${pv.claimRef.name}`);
      podNamespaces.add(pv.claimRef.namespace);
    }
  }
  // A node target reads every PV only to map volumesInUse back to names; it follows the volumes on the node.
  const followed = target.resource === 'nodes'
    ? new Set(c.snapshot.volumeAttachments.filter((va) => va.nodeName === target.name).flatMap((va) => va.persistentVolumeName ?? []))
    : pvNames;
  const podsListedOn = new Set<string>();
  const listPodsOnNodesOf = (volumes: Set<string>) => {
    for (const va of c.snapshot.volumeAttachments) if (va.persistentVolumeName && volumes.has(va.persistentVolumeName)) nodeNames.add(va.nodeName);
    const fresh = [...nodeNames].filter((n) => !podsListedOn.has(n));
    for (const n of fresh) podsListedOn.add(n);
    return fresh.map((node) => () => c.list('pods', undefined, `spec.nodeName=${node}`));
  };

  // Pods that can use these claims live in the claims' namespaces; pods that can hold the volumes live on these nodes.
  const podLists = listPodsOnNodesOf(followed);
  if (target.resource !== 'pods' && target.resource !== 'nodes') {
    podLists.push(...[...podNamespaces].map((ns) => () => c.list('pods', ns)));
  }
  await all(podLists);
  if (target.resource === 'nodes') {
    for (const pod of c.snapshot.pods) if (pod.nodeName === target.name) addPodClaims(pod);
    await fetchClaims();
    // Where else the node's pods' volumes are attached, and the pods there that may hold them.
    const claimed = new Set(c.snapshot.pvcs.filter((pvc) => claimKeys.has(`${pvc.namespace}/${pvc.name}`)).flatMap((pvc) => pvc.volumeName ?? []));
    await all(listPodsOnNodesOf(claimed));
  }
  await fetchClaims();
  // Only attachments on nodes this run reads: an attachment whose node was never fetched would look like one
  // left behind by a deleted node.
  c.snapshot.volumeAttachments = c.snapshot.volumeAttachments.filter((va) => nodeNames.has(va.nodeName));
  await c.longhorn();
  for (const n of scopeLonghorn(c.snapshot, pvNames)) nodeNames.add(n);

  const drivers = new Set(c.snapshot.pvs.map((pv) => pv.csi?.driver).filter((d): d is string => !!d));
  await all([
    ...[...nodeNames].map((n) => () => c.get('nodes', n)),
    ...[...nodeNames].map((n) => () => c.get('leases', n, NODE_LEASE_NAMESPACE)),
    ...[...nodeNames].map((n) => () => c.get('csinodes', n)),
    ...[...drivers].map((d) => () => c.get('csidrivers', d)),
  ]);
  if (target.resource !== 'pods') {
    // Volume events of the pods found above: the same server-filtered LISTs as a full run, scoped to their namespaces.
    const namespaces = new Set(c.snapshot.pods.map((p) => p.namespace));
    await all([...namespaces].flatMap((ns) => VOLUME_EVENTS.map((e) => () => c.list('events', ns, eventSelector(e)))));
  }
}

/**
 * A targeted run keeps the Longhorn volumes behind the PVs it followed. Returns the nodes their replicas and
 * engines run on, which must be read too: a replica on a node that was not read would look like one on a node
 * that is down.
 */
function scopeLonghorn(snapshot: Snapshot, pvNames: Set<string>): string[] {
  const lh = snapshot.longhorn;
  if (!lh) return [];
  const volumes = new Set(snapshot.pvs.filter((pv) => pvNames.has(pv.name)).flatMap((pv) => [pv.name, pv.csi?.volumeHandle ?? pv.name]));
  lh.volumes = lh.volumes.filter((v) => volumes.has(v.name));
  lh.replicas = lh.replicas.filter((r) => volumes.has(r.volumeName));
  lh.engines = lh.engines.filter((e) => volumes.has(e.volumeName));
  lh.volumeAttachments = lh.volumeAttachments.filter((a) => volumes.has(a.name));
  return [...lh.volumes.flatMap((v) => [v.currentNodeID, v.nodeID]), ...lh.replicas.map((r) => r.nodeID), ...lh.engines.map((e) => e.nodeID)]
    .filter((n): n is string => !!n);
}
