// Reads a live cluster into a Snapshot, at a cost that stays small on a large cluster:
// one paginated LIST per kind cluster-wide, server-side event filters, and for a target only GETs
// and field-selected LISTs along the object graph (never every pod of the cluster).
import type { PodFact, PvFact, Snapshot } from '../model/snapshot.js';
import { parseVersion } from './version.js';
import { emptySnapshot } from '../model/snapshot.js';
import { addRawObject, foldPod } from './fold.js';
import { malformedReason } from './shape.js';
import { ApiError, KubeClient } from './kube-client.js';
import { ClusterError, NotFoundError, UnreadableAnswerError } from '../errors.js';
import { csiAttachmentName, eventSelector, VOLUME_EVENTS } from './resources.js';
import { CORE_KINDS, coreKind, kindKey, LONGHORN_KINDS, resourcePath, type ResourceName, type TargetResource } from '../model/kinds.js';
import { LONGHORN_DRIVER, LONGHORN_GROUP, LONGHORN_NAMESPACE, NODE_LEASE_NAMESPACE } from '../model/kubernetes-names.js';
import { emptyLonghorn } from '../model/snapshot.js';
import { runLimited } from '../util/concurrency.js';
import { probeNotReadyKubelets } from './kubelet-reader.js';

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
  /** -l: a label selector for the pods LIST (cluster-wide runs only). */
  podSelector?: string;
  /** Probe the kubelets of not-Ready nodes through the node proxy (default true; off while polling for a clear). */
  askKubelets?: boolean;
}

/**
 * What -l means for proof by absence: pods outside the selector were not read, so a volume no listed pod uses
 * may still be used by one of them. Pods count as incompletely read, and no check or guard concludes from a
 * pod's absence.
 */
export function selectedPodsReason(selector: string): string {
  return `only pods matching -l ${JSON.stringify(selector)} were read; a pod outside it may use a volume, so nothing is concluded from a pod's absence`;
}

/* eslint-disable @typescript-eslint/no-explicit-any */
type Raw = any;

/** A targeted GET: the object, proven absent (a 404 for it), or unknown (forbidden, unreadable, malformed). */
export type GetOutcome =
  | { state: 'found'; obj: Raw }
  | { state: 'seen' }
  | { state: 'absent' }
  | { state: 'unknown'; reason: string };

/** "it has no metadata.name" reads better after a colon as "metadata.name missing". */
function shortReason(reason: string): string {
  const m = /^it has no (.+)$/.exec(reason);
  return m ? `${m[1]} missing` : reason;
}

function objectName(obj: Raw): string | undefined {
  const name = obj && typeof obj === 'object' ? obj.metadata?.name : undefined;
  return typeof name === 'string' && name !== '' ? name : undefined;
}

/** Why a GET's answer is not the object asked for (another kind, name or namespace), or undefined when it is. */
function notTheObjectAskedFor(obj: Raw, kind: string, name: string, namespace?: string): string | undefined {
  const got = `${typeof obj?.kind === 'string' ? obj.kind : 'an object without a kind'} ${JSON.stringify(obj?.metadata?.namespace ? `${obj.metadata.namespace}/${obj.metadata.name}` : obj?.metadata?.name)}`;
  const wanted = `${kind} ${JSON.stringify(namespace ? `${namespace}/${name}` : name)}`;
  if (obj?.kind !== kind || obj?.metadata?.name !== name || (namespace !== undefined && obj?.metadata?.namespace !== namespace)) {
    return `the API server answered a GET for ${wanted} with ${got}`;
  }
  return undefined;
}


/**
 * Collects facts into a Snapshot. A resource the user may not read, whose answer we could not understand, or
 * whose objects were malformed is recorded as incomplete instead of failing: what was not read is unknown, never absent.
 */
class Collector {
  readonly snapshot: Snapshot;
  private readonly fetched = new Set<string>();
  private readonly dropped = new Map<string, { count: number; first: string }>();

  constructor(readonly client: KubeClient, now: string, namespace: string | undefined) {
    this.snapshot = emptySnapshot(now, { type: 'cluster', context: client.contextName, server: client.server });
    this.snapshot.namespace = namespace;
  }

  /** Why a request for this resource failed, when the failure means "unknown" rather than a broken run. */
  private static unreadableReason(err: unknown): string | undefined {
    if (err instanceof UnreadableAnswerError) return `unreadable answer: ${err.message}`;
    if (!(err instanceof ApiError)) return undefined;
    return err.status === 403
      ? `forbidden: ${err.message}`
      : err.status === 404 ? 'not served by this API server' : `${err.status} ${err.reason}: ${err.message}`;
  }

  /** Pods were read through a selector: recorded next to any failure to read them. */
  selectPods(selector: string): void {
    const existing = this.snapshot.incomplete.find((i) => i.resource === 'pods');
    if (existing) existing.reason = `${existing.reason}; ${selectedPodsReason(selector)}`;
    else this.snapshot.incomplete.push({ resource: 'pods', reason: selectedPodsReason(selector) });
  }

  private markIncomplete(resource: string, reason: string): void {
    if (this.snapshot.incomplete.some((i) => i.resource === resource)) return;
    this.snapshot.incomplete.push({ resource, reason });
  }

  private skipUnreadable(resource: string, err: unknown): string {
    const reason = Collector.unreadableReason(err);
    if (reason === undefined) throw err;
    this.markIncomplete(resource, reason);
    return reason;
  }

  private drop(resource: string, reason: string): void {
    const d = this.dropped.get(resource);
    if (d) d.count++;
    else this.dropped.set(resource, { count: 1, first: shortReason(reason) });
  }

  /** Folds one object; a malformed one is dropped and counted against its resource. Returns the malformed reason. */
  private fold(resource: string, kind: string, obj: Raw): string | undefined {
    const name = objectName(obj);
    if (name !== undefined && !this.remember(resource, obj)) return undefined;
    const outcome = addRawObject(this.snapshot, kind, obj);
    if (typeof outcome === 'object') {
      this.drop(resource, outcome.malformed);
      return outcome.malformed;
    }
    return undefined;
  }

  /** Records the dropped objects of each resource in `incomplete`; called once, when reading is done. */
  finish(): void {
    for (const [resource, d] of this.dropped) {
      const what = `${d.count} ${d.count === 1 ? coreKind(resource)?.singular ?? resource : resource} dropped: ${d.first}`;
      const existing = this.snapshot.incomplete.find((i) => i.resource === resource);
      if (existing) existing.reason = `${existing.reason}; ${what}`;
      else this.snapshot.incomplete.push({ resource, reason: what });
    }
  }

  /** One paginated LIST, folded page by page. */
  async list(resource: ResourceName, namespace?: string, fieldSelector?: string, labelSelector?: string): Promise<void> {
    const info = CORE_KINDS[resource];
    try {
      await this.client.list(resourcePath(info, namespace), { fieldSelector, labelSelector }, (items) => {
        for (const item of items as Raw[]) this.fold(resource, info.kind, item);
      }, undefined, `${info.kind}List`);
    } catch (err) {
      this.skipUnreadable(resource, err);
    }
  }

  /**
   * A GET, once per object unless `always`. 'seen' when an earlier read already folded it; 'absent' only on a
   * 404 for it; 'unknown' (and the resource incomplete) when it was forbidden, unreadable or malformed.
   */
  async get(resource: ResourceName, name: string, namespace?: string, always = false): Promise<GetOutcome> {
    const info = CORE_KINDS[resource];
    const key = `${resource}/${namespace ?? ''}/${name}`;
    if (!always && this.fetched.has(key)) return { state: 'seen' };
    let obj: Raw;
    try {
      obj = await this.client.get<Raw>(resourcePath(info, namespace, name));
    } catch (err) {
      return { state: 'unknown', reason: this.skipUnreadable(resource, err) };
    }
    if (obj === undefined) return { state: 'absent' };
    const malformed = malformedReason(info.kind, obj);
    if (malformed !== undefined) {
      this.drop(resource, malformed);
      return { state: 'unknown', reason: `malformed: ${shortReason(malformed)}` };
    }
    const other = notTheObjectAskedFor(obj, info.kind, name, namespace);
    if (other !== undefined) return { state: 'unknown', reason: this.skipUnreadable(resource, new UnreadableAnswerError(other)) };
    this.fold(resource, info.kind, obj);
    return { state: 'found', obj };
  }

  /** Keeps each object once, whichever request brought it. */
  private remember(resource: string, obj: Raw): boolean {
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
      group = await this.client.discover(`/apis/${LONGHORN_GROUP}`);
    } catch (err) {
      this.skipUnreadable(`apis/${LONGHORN_GROUP}`, err);
      return;
    }
    if (!group) return;
    this.snapshot.longhorn = emptyLonghorn();
    await Promise.all(Object.values(LONGHORN_KINDS).map(async (k) => {
      try {
        await this.client.list(resourcePath(k, LONGHORN_NAMESPACE), {}, (items) => {
          for (const item of items) this.fold(k.resource, kindKey(k.kind, k.apiVersion), item);
        }, undefined, `${k.kind}List`);
      } catch (err) {
        if ('optional' in k && err instanceof ApiError && err.status === 404) return;
        this.skipUnreadable(k.resource, err);
      }
    }));
  }

  async version(): Promise<void> {
    try {
      const v = await this.client.get<{ major?: string; minor?: string; gitVersion?: string }>('/version');
      if (v) this.snapshot.serverVersion = parseVersion(v);
    } catch (err) {
      if (err instanceof UnreadableAnswerError) this.markIncomplete('version', `unreadable answer: ${err.message}`);
      else if (!(err instanceof ApiError)) throw err;
    }
  }
}

export async function readCluster(client: KubeClient, options: LiveReadOptions): Promise<Snapshot> {
  const c = new Collector(client, options.now, options.target ? undefined : options.namespace);
  // /version first: it fails fast and clearly when the server is unreachable.
  await c.version();
  const limit = options.concurrency ?? 6;
  if (options.target) await readTarget(c, options.target, limit);
  else await readAll(c, options.namespace, limit, options.podSelector);
  c.finish();
  if (options.askKubelets !== false) await probeNotReadyKubelets(client, c.snapshot);
  return c.snapshot;
}

async function readAll(c: Collector, namespace: string | undefined, limit: number, podSelector?: string): Promise<void> {
  const tasks: (() => Promise<unknown>)[] = [
    () => c.list('nodes'),
    () => c.list('pods', namespace, undefined, podSelector || undefined),
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
  if (podSelector) c.selectPods(podSelector);
}

/** The target object itself: absent only on a 404 for it; anything we could not read stops the run (exit 3). */
async function readTargetObject(c: Collector, target: Target): Promise<Raw> {
  const got = await c.get(target.resource, target.name, target.namespace, true);
  if (got.state === 'absent') throw NotFoundError.of(target.resource, target.name, target.namespace);
  if (got.state !== 'found') {
    const reason = got.state === 'unknown' ? got.reason : 'not returned';
    throw new ClusterError(`cannot read ${target.resource} "${target.name}"${target.namespace ? ` in namespace "${target.namespace}"` : ''}: ${reason}`);
  }
  return got.obj;
}

/**
 * Follows the graph from one object: pod → claims → volumes → attachments → nodes, and back from nodes to
 * the pods scheduled there (field-selected), so both the waiting pod and what holds its volume are seen.
 *
 * Attachments are fetched by the name the CSI attacher derives for each volume and node in view, so a pod, claim
 * or volume costs the same number of requests in any cluster. That cannot show where else a volume is attached,
 * and a 404 proves only that one name is absent; so when a pod in view is not running on an attachment found that
 * way (it waits for its volume, or is not scheduled), where the volume is held is the diagnosis, and every
 * attachment is listed as before. A node or an attachment as target lists them all too.
 */
async function readTarget(c: Collector, target: Target, limit: number): Promise<void> {
  const all = async (tasks: (() => Promise<unknown>)[]) => runLimited(tasks.map((t) => async () => void (await t())), limit);
  const pvNames = new Set<string>();
  const nodeNames = new Set<string>();
  const claimKeys = new Set<string>();
  const podNamespaces = new Set<string>();
  let scanned = target.resource === 'nodes' || target.resource === 'volumeattachments';

  const addPodClaims = (pod: PodFact | undefined) => {
    if (!pod) return;
    if (pod.nodeName) nodeNames.add(pod.nodeName);
    for (const claim of pod.claims) claimKeys.add(`${pod.namespace}/${claim.claimName}`);
  };
  const fetchClaims = async () => {
    await all([...claimKeys].map((k) => async () => {
      const [ns, name] = k.split('/');
      await c.get('persistentvolumeclaims', name, ns);
    }));
    for (const pvc of c.snapshot.pvcs) if (pvc.volumeName && claimKeys.has(`${pvc.namespace}/${pvc.name}`)) pvNames.add(pvc.volumeName);
  };

  // The target (and, when listed, every attachment) side by side; a 404 for the target wins over a failed LIST.
  const [got, vas] = await Promise.allSettled([readTargetObject(c, target), scanned ? c.list('volumeattachments') : Promise.resolve()]);
  if (got.status === 'rejected') throw got.reason;
  if (vas.status === 'rejected') throw vas.reason;
  const obj = got.value;

  switch (target.resource) {
    case 'pods': {
      addPodClaims(foldPod(obj));
      podNamespaces.add(target.namespace!);
      await Promise.all([
        c.list('events', target.namespace, `involvedObject.kind=Pod,involvedObject.name=${target.name},type=Warning`),
        fetchClaims(),
      ]);
      break;
    }
    case 'persistentvolumeclaims': {
      if (obj.spec?.volumeName) pvNames.add(obj.spec.volumeName);
      podNamespaces.add(target.namespace!);
      break;
    }
    case 'persistentvolumes': {
      pvNames.add(target.name);
      const claim = obj.spec?.claimRef;
      if (claim?.name) {
        const ns = claim.namespace ?? 'default';
        claimKeys.add(`${ns}/${claim.name}`);
        podNamespaces.add(ns);
      }
      break;
    }
    case 'nodes': {
      nodeNames.add(target.name);
      // volumesInUse names volumes by driver and handle, not by PV name: every PV is needed to map them back.
      await c.list('persistentvolumes');
      for (const pv of c.snapshot.pvs) pvNames.add(pv.name);
      break;
    }
    case 'volumeattachments': {
      nodeNames.add(obj.spec.nodeName);
      if (obj.spec.source?.persistentVolumeName) pvNames.add(obj.spec.source.persistentVolumeName);
      break;
    }
  }

  await fetchClaims();
  // Provisioning and binding events of the claims in view (Pending claims explain themselves only there), and the volumes.
  await all([
    ...[...claimKeys].filter((k) => !settledClaim(c.snapshot, k)).map((k) => {
      const [ns, name] = k.split('/');
      return () => c.list('events', ns, `involvedObject.kind=PersistentVolumeClaim,involvedObject.name=${name}`);
    }),
    ...[...pvNames].map((name) => () => c.get('persistentvolumes', name)),
  ]);
  const pvs: PvFact[] = c.snapshot.pvs.filter((pv) => pvNames.has(pv.name));
  for (const pv of pvs) {
    if (pv.claimRef && target.resource !== 'nodes') {
      claimKeys.add(`${pv.claimRef.namespace}/${pv.claimRef.name}`);
      podNamespaces.add(pv.claimRef.namespace);
    }
  }
  const drivers = new Set(c.snapshot.pvs.map((pv) => pv.csi?.driver).filter((d): d is string => !!d));
  const driverTasks = [...drivers].map((d) => () => c.get('csidrivers', d));
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
  /** Attachments by derived name, or all of them when those do not settle where the volumes are (see above). */
  const settle = async () => {
    if (scanned) return;
    await all(wantedAttachments(c, pvNames));
    if (!onFoundAttachments(c, pvNames)) {
      scanned = true;
      await c.list('volumeattachments');
    }
    await all(listPodsOnNodesOf(followed));
  };

  // Pods that can use these claims live in the claims' namespaces; pods that can hold the volumes live on these nodes.
  const podLists = listPodsOnNodesOf(followed);
  if (target.resource !== 'pods' && target.resource !== 'nodes') {
    podLists.push(...[...podNamespaces].map((ns) => () => c.list('pods', ns)));
  }
  // The target pod's own attachments go along (its node is known); a driver without attach is told apart after.
  const own = target.resource === 'pods' && obj.spec?.nodeName
    ? pvs.filter((pv) => pv.csi).map((pv) => () => c.get('volumeattachments', csiAttachmentName(pv.csi!.volumeHandle, pv.csi!.driver, obj.spec.nodeName)))
    : [];
  await all([...podLists, ...driverTasks, ...own]);
  await settle();
  if (target.resource === 'nodes') {
    for (const pod of c.snapshot.pods) if (pod.nodeName === target.name) addPodClaims(pod);
    await fetchClaims();
    // Where else the node's pods' volumes are attached, and the pods there that may hold them.
    const claimed = new Set(c.snapshot.pvcs.filter((pvc) => claimKeys.has(`${pvc.namespace}/${pvc.name}`)).flatMap((pvc) => pvc.volumeName ?? []));
    await all(listPodsOnNodesOf(claimed));
  }
  await fetchClaims();
  // Pods listed on the nodes found since may use these volumes too: the same rule (no request when nothing is new).
  await settle();
  await fetchClaims();
  // Only attachments on nodes this run reads: an attachment whose node was never fetched would look like one
  // left behind by a deleted node.
  c.snapshot.volumeAttachments = c.snapshot.volumeAttachments.filter((va) => nodeNames.has(va.nodeName));
  // Longhorn is read only when a volume in view is Longhorn's (one discovery request otherwise).
  if (target.resource === 'nodes' || c.snapshot.pvs.some((pv) => pvNames.has(pv.name) && pv.csi?.driver === LONGHORN_DRIVER)) {
    await c.longhorn();
    for (const n of scopeLonghorn(c.snapshot, pvNames)) nodeNames.add(n);
  }

  const moreDrivers = new Set(c.snapshot.pvs.map((pv) => pv.csi?.driver).filter((d): d is string => !!d && !drivers.has(d)));
  await all([
    ...[...nodeNames].map((n) => () => c.get('nodes', n)),
    ...[...nodeNames].map((n) => () => c.get('csinodes', n)),
    ...[...moreDrivers].map((d) => () => c.get('csidrivers', d)),
  ]);
  // A Lease says something only about a node that is not Ready (is its kubelet still renewing it?).
  const ready = new Set(c.snapshot.nodes.filter((n) => n.ready === 'True').map((n) => n.name));
  await all([...nodeNames].filter((n) => !ready.has(n)).map((n) => () => c.get('leases', n, NODE_LEASE_NAMESPACE)));
  if (target.resource !== 'pods') {
    // Volume events of the pods found above: the same server-filtered LISTs as a full run, scoped to their namespaces.
    const namespaces = new Set(c.snapshot.pods.map((p) => p.namespace));
    await all([...namespaces].flatMap((ns) => VOLUME_EVENTS.map((e) => () => c.list('events', ns, eventSelector(e)))));
  }
}

/** The volumes (among `pvNames`) that go through the attach/detach controller, by the drivers read. */
function attachable(c: Collector, pvNames: Set<string>): Map<string, PvFact> {
  const attachRequired = new Map(c.snapshot.csiDrivers.map((d) => [d.name, d.attachRequired]));
  return new Map(c.snapshot.pvs.filter((pv) => pvNames.has(pv.name) && pv.csi && attachRequired.get(pv.csi.driver) !== false).map((pv) => [pv.name, pv]));
}

/** Each scheduled pod in view that uses one of these volumes, with the volume. */
function podsUsing(c: Collector, volumes: Map<string, PvFact>): { pod: PodFact; pv: PvFact }[] {
  const claims = new Map(c.snapshot.pvcs.map((pvc) => [`${pvc.namespace}/${pvc.name}`, pvc.volumeName]));
  return c.snapshot.pods.flatMap((pod) => pod.claims.flatMap((claim) => {
    const pv = volumes.get(claims.get(`${pod.namespace}/${claim.claimName}`) ?? '');
    return pv ? [{ pod, pv }] : [];
  }));
}

/** GETs, once per name, the attachment the CSI attacher makes for each volume on the node of each pod using it. */
function wantedAttachments(c: Collector, pvNames: Set<string>): (() => Promise<unknown>)[] {
  const names = new Set(podsUsing(c, attachable(c, pvNames)).filter(({ pod }) => pod.nodeName)
    .map(({ pod, pv }) => csiAttachmentName(pv.csi!.volumeHandle, pv.csi!.driver, pod.nodeName!)));
  return [...names].map((name) => () => c.get('volumeattachments', name));
}

/**
 * Whether every pod in view that uses one of these volumes through the attach/detach controller sits on a live
 * attachment of it, on its own node, found by its derived name. The controller attaches an exclusive volume to one
 * node at a time, so then no other node holds it; otherwise (a pod waiting, unscheduled, or an attachment deleting
 * or not yet attached) other attachments are the story and must all be read. A volume whose driver needs no
 * attach (CSIDriver attachRequired: false) has none to find.
 */
function onFoundAttachments(c: Collector, pvNames: Set<string>): boolean {
  const byName = new Map(c.snapshot.volumeAttachments.map((va) => [va.name, va]));
  return podsUsing(c, attachable(c, pvNames)).every(({ pod, pv }) => {
    if (!pod.nodeName) return false;
    const va = byName.get(csiAttachmentName(pv.csi!.volumeHandle, pv.csi!.driver, pod.nodeName));
    return !!va && va.attached && !va.deletionTimestamp && va.nodeName === pod.nodeName && va.persistentVolumeName === pv.name;
  });
}

/**
 * A claim that is Bound, asks for no more than it has and carries no condition has no provisioning, binding or
 * resize story left in its events; any other claim (or one not read) has its events read.
 */
function settledClaim(snapshot: Snapshot, key: string): boolean {
  const pvc = snapshot.pvcs.find((p) => `${p.namespace}/${p.name}` === key);
  return !!pvc && pvc.phase === 'Bound' && !pvc.deletionTimestamp && pvc.conditions.length === 0
    && pvc.requestedStorage !== undefined && pvc.requestedStorage === pvc.capacityStorage;
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
