// Reads a live cluster into a Snapshot, at a cost that stays small on a large cluster:
// one paginated LIST per kind cluster-wide, server-side event filters, and for a target GETs and field-selected
// LISTs along the object graph, listing a kind whole only where names cannot find what is needed (never every pod).
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
function selectedPodsReason(selector: string): string {
  return `only pods matching -l ${JSON.stringify(selector)} were read; a pod outside it may use a volume, so nothing is concluded from a pod's absence`;
}

/* eslint-disable @typescript-eslint/no-explicit-any */
type Raw = any;

/** A targeted GET: the object, proven absent (a 404 for it), or unknown (forbidden, unreadable, malformed). */
type GetOutcome =
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
  private readonly asked = new Map<string, Promise<GetOutcome>>();
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

  /** One paginated LIST, folded page by page (pages of the client's default size unless `pageSize`). */
  async list(resource: ResourceName, namespace?: string, fieldSelector?: string, labelSelector?: string, pageSize?: number): Promise<void> {
    const info = CORE_KINDS[resource];
    try {
      await this.client.list(resourcePath(info, namespace), { fieldSelector, labelSelector }, (items) => {
        for (const item of items as Raw[]) this.fold(resource, info.kind, item);
      }, pageSize, `${info.kind}List`);
    } catch (err) {
      this.skipUnreadable(resource, err);
    }
  }

  /**
   * A GET, once per object unless `always`. 'seen' when an earlier read already folded it; 'absent' only on a
   * 404 for it; 'unknown' (and the resource incomplete) when it was forbidden, unreadable or malformed. A name
   * asked for before (or being asked for) gets that answer again, without a request: a 404 or a forbidden answer
   * would be the same.
   */
  get(resource: ResourceName, name: string, namespace?: string, always = false): Promise<GetOutcome> {
    const key = `${resource}/${namespace ?? ''}/${name}`;
    if (always) return this.send(resource, name, namespace);
    if (this.fetched.has(key)) return Promise.resolve({ state: 'seen' });
    let answer = this.asked.get(key);
    if (!answer) {
      answer = this.send(resource, name, namespace);
      this.asked.set(key, answer);
    }
    return answer;
  }

  private async send(resource: ResourceName, name: string, namespace?: string): Promise<GetOutcome> {
    const info = CORE_KINDS[resource];
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
  if (options.askKubelets !== false) await probeNotReadyKubelets(client, c.snapshot, options.target ? nodeOfTarget(c.snapshot, options.target) : []);
  return c.snapshot;
}

/**
 * The node a targeted read is about: the node itself, or the node of the pod or attachment. fix re-reads an
 * action's target just before writing, so its kubelet is asked first, however many other nodes are in view.
 */
function nodeOfTarget(snapshot: Snapshot, target: Target): string[] {
  if (target.resource === 'nodes') return [target.name];
  if (target.resource === 'pods') return snapshot.pods.filter((p) => p.name === target.name && p.namespace === target.namespace).flatMap((p) => p.nodeName ?? []);
  if (target.resource === 'volumeattachments') return snapshot.volumeAttachments.filter((va) => va.name === target.name).map((va) => va.nodeName);
  return [];
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
 *
 * What depends on the target's resource is its row of STARTS: what the object puts in view, and what is listed
 * whole. The phases below run in this order for every target (a node's pods' claims only for a node), each
 * reading from and adding to one TargetRun. Each object is asked for by name once in a run, whether it was found,
 * absent or unreadable, however many phases come to it.
 */
async function readTarget(c: Collector, target: Target, limit: number): Promise<void> {
  const run = await readTheTarget(c, target, limit);
  if (run.start.everyVolume) await everyVolume(run);
  if (run.start.ownWarnings) await Promise.all([ownWarnings(run, target), claims(run)]);
  await claims(run);
  await claimEventsAndVolumes(run);
  await podsDriversAndOwnAttachments(run);
  await attachments(run);
  if (run.node) await podsOfTheNode(run, run.node);
  // The claims the volumes named (their claimRef).
  await claims(run);
  // Pods listed on the nodes found since may use these volumes too: the same rule (no request when nothing is new).
  await attachments(run);
  await claims(run);
  keepAttachmentsOnNodesRead(run);
  await longhorn(run);
  await nodesAndDrivers(run);
  await leasesOfNotReadyNodes(run);
  if (!run.start.ownWarnings) await volumeEvents(run);
}

/** What the target object itself puts in view. */
interface Seed {
  /** Claims, as "namespace/name". */
  claimKeys?: string[];
  pvNames?: string[];
  nodeNames?: string[];
  podNamespaces?: string[];
  /** The target pod's node. */
  ownNode?: string;
  /** The target node. */
  node?: string;
}

/** How a targeted run starts, by the target's resource. */
interface Start {
  /** Every VolumeAttachment is listed beside the target's GET, none fetched by derived name. */
  everyAttachment: boolean;
  /** Every PersistentVolume is listed and followed. */
  everyVolume: boolean;
  /** Every pod in the namespaces of the claims in view is listed, besides the pods on the volumes' nodes. */
  podsInClaimNamespaces: boolean;
  /** The target's own Warning events are read instead of the volume events of the namespaces in view. */
  ownWarnings: boolean;
  seed(obj: Raw, target: Target): Seed;
}

const STARTS: Record<TargetResource, Start> = {
  // A pod: its node and claims; its own Warning events, and its own attachments by name on its node.
  pods: {
    everyAttachment: false, everyVolume: false, podsInClaimNamespaces: false, ownWarnings: true,
    seed: (obj) => {
      const pod = foldPod(obj);
      return {
        nodeNames: pod.nodeName ? [pod.nodeName] : [],
        claimKeys: pod.claims.map((claim) => `${pod.namespace}/${claim.claimName}`),
        ownNode: obj.spec?.nodeName || undefined,
      };
    },
  },
  // A claim: its volume and its namespace (the claim itself is followed once its volume names it).
  persistentvolumeclaims: {
    everyAttachment: false, everyVolume: false, podsInClaimNamespaces: true, ownWarnings: false,
    seed: (obj, target) => ({ pvNames: obj.spec?.volumeName ? [obj.spec.volumeName] : [], podNamespaces: [target.namespace!] }),
  },
  // A volume: itself, and its claim (claimRef) with the claim's namespace.
  persistentvolumes: {
    everyAttachment: false, everyVolume: false, podsInClaimNamespaces: true, ownWarnings: false,
    seed: (obj, target) => {
      const claim = obj.spec?.claimRef;
      if (!claim?.name) return { pvNames: [target.name] };
      const ns = claim.namespace ?? 'default';
      return { pvNames: [target.name], claimKeys: [`${ns}/${claim.name}`], podNamespaces: [ns] };
    },
  },
  // A node: itself; every attachment, and every volume since volumesInUse names volumes by driver and handle.
  nodes: {
    everyAttachment: true, everyVolume: true, podsInClaimNamespaces: false, ownWarnings: false,
    seed: (_obj, target) => ({ nodeNames: [target.name], node: target.name }),
  },
  // An attachment: its node and its volume; every attachment.
  volumeattachments: {
    everyAttachment: true, everyVolume: false, podsInClaimNamespaces: true, ownWarnings: false,
    seed: (obj) => ({ nodeNames: [obj.spec.nodeName], pvNames: obj.spec.source?.persistentVolumeName ? [obj.spec.source.persistentVolumeName] : [] }),
  },
};

/** What a targeted run has in view: each phase reads it and adds to it; nothing else carries state between them. */
interface TargetRun {
  c: Collector;
  /** Requests in flight at most. */
  limit: number;
  start: Start;
  /** Claims followed ("namespace/name"): read, their volumes followed, their events read while they have a story. */
  claimKeys: Set<string>;
  /** Volumes followed (PV names): read, their attachments found, Longhorn's objects for them kept. */
  pvNames: Set<string>;
  /** Nodes read (Node, CSINode, and Lease when not Ready); attachments on other nodes are dropped. */
  nodeNames: Set<string>;
  /** Namespaces whose every pod is listed when the start says so. */
  podNamespaces: Set<string>;
  /** Nodes whose pods were listed (never twice). */
  podsListedOn: Set<string>;
  /** Volumes whose attachments' nodes have their pods listed: pvNames itself (as it grows), or a node target's own. */
  followed: Set<string>;
  /** CSIDrivers asked for once the volumes were read; drivers of volumes found later are asked for at the end. */
  driversAsked: Set<string>;
  /** Every VolumeAttachment was listed: none is fetched by derived name any more. */
  scanned: boolean;
  /** The GETs sent ("resource/namespace/name"), found or not: none is sent twice. */
  /** The target pod's node: the pod's attachments there are fetched by name. */
  ownNode?: string;
  /** The target node: its volumes and its pods' claims are followed, and Longhorn is read whenever served. */
  node?: string;
}

/** The target, and every attachment when the start says so, side by side; a 404 for the target wins over a failed LIST. */
async function readTheTarget(c: Collector, target: Target, limit: number): Promise<TargetRun> {
  const start = STARTS[target.resource];
  const [got, vas] = await Promise.allSettled([readTargetObject(c, target), start.everyAttachment ? everyAttachment(c) : Promise.resolve()]);
  if (got.status === 'rejected') throw got.reason;
  if (vas.status === 'rejected') throw vas.reason;
  const seed = start.seed(got.value, target);
  const pvNames = new Set(seed.pvNames);
  return {
    c, limit, start,
    claimKeys: new Set(seed.claimKeys),
    pvNames,
    nodeNames: new Set(seed.nodeNames),
    podNamespaces: new Set(seed.podNamespaces),
    podsListedOn: new Set(),
    followed: pvNames,
    driversAsked: new Set(),
    scanned: start.everyAttachment,
    ownNode: seed.ownNode,
    node: seed.node,
  };
}

async function inParallel(run: TargetRun, tasks: (() => Promise<unknown>)[]): Promise<void> {
  await runLimited(tasks.map((t) => async () => void (await t())), run.limit);
}

/**
 * The page size of a targeted run's LIST of every VolumeAttachment. An attachment is small (about 600 bytes), so
 * a page of 5,000 is a few megabytes, and the run costs one request more per 5,000 attachments, not per 500.
 */
const EVERY_ATTACHMENT_PAGE = 5000;

/** Every VolumeAttachment, in pages of EVERY_ATTACHMENT_PAGE. */
async function everyAttachment(c: Collector): Promise<void> {
  await c.list('volumeattachments', undefined, undefined, undefined, EVERY_ATTACHMENT_PAGE);
}

/** Every volume, all followed: a node's volumesInUse are mapped back to PV names through them. */
async function everyVolume(run: TargetRun): Promise<void> {
  await run.c.list('persistentvolumes');
  for (const pv of run.c.snapshot.pvs) run.pvNames.add(pv.name);
}

/** The target pod's own Warning events: they tell its story, so the namespace's volume events are not read. */
async function ownWarnings(run: TargetRun, target: Target): Promise<void> {
  await run.c.list('events', target.namespace, `involvedObject.kind=Pod,involvedObject.name=${target.name},type=Warning`);
}

/** The claims in view not asked for yet, then their volumes. */
async function claims(run: TargetRun): Promise<void> {
  await inParallel(run, [...run.claimKeys].map((k) => () => {
    const [ns, name] = k.split('/');
    return run.c.get('persistentvolumeclaims', name, ns);
  }));
  for (const pvc of run.c.snapshot.pvcs) if (pvc.volumeName && run.claimKeys.has(`${pvc.namespace}/${pvc.name}`)) run.pvNames.add(pvc.volumeName);
}

/**
 * Provisioning and binding events of the claims read (Pending claims explain themselves only there), and the
 * volumes; then the claims those volumes name (their claimRef) with their namespaces, unless every volume is
 * followed (that would be every claim).
 */
async function claimEventsAndVolumes(run: TargetRun): Promise<void> {
  const { c } = run;
  await inParallel(run, [
    ...[...run.claimKeys].filter((k) => claimWithAStory(c.snapshot, k)).map((k) => {
      const [ns, name] = k.split('/');
      return () => c.list('events', ns, `involvedObject.kind=PersistentVolumeClaim,involvedObject.name=${name}`);
    }),
    ...[...run.pvNames].map((name) => () => run.c.get('persistentvolumes', name)),
  ]);
  if (run.start.everyVolume) return;
  for (const pv of c.snapshot.pvs) {
    if (pv.claimRef && run.pvNames.has(pv.name)) {
      run.claimKeys.add(`${pv.claimRef.namespace}/${pv.claimRef.name}`);
      run.podNamespaces.add(pv.claimRef.namespace);
    }
  }
}

/**
 * Pods that can hold the volumes (on the nodes they are attached to) and pods that can use the claims (in their
 * namespaces, when the start says so); the CSIDrivers of the volumes read; and the target pod's own attachments,
 * by name on its node (a driver without attach is told apart after).
 */
async function podsDriversAndOwnAttachments(run: TargetRun): Promise<void> {
  const { c, ownNode } = run;
  for (const pv of c.snapshot.pvs) if (pv.csi?.driver) run.driversAsked.add(pv.csi.driver);
  // A node target reads every PV only to map volumesInUse back to names; it follows the volumes on the node.
  if (run.node) {
    const node = run.node;
    run.followed = new Set(c.snapshot.volumeAttachments.filter((va) => va.nodeName === node).flatMap((va) => va.persistentVolumeName ?? []));
  }
  const podLists = podsOnNodesHolding(run, run.followed);
  if (run.start.podsInClaimNamespaces) podLists.push(...[...run.podNamespaces].map((ns) => () => c.list('pods', ns)));
  const own = ownNode
    ? c.snapshot.pvs.filter((pv) => run.pvNames.has(pv.name) && pv.csi)
      .map((pv) => () => run.c.get('volumeattachments', csiAttachmentName(pv.csi!.volumeHandle, pv.csi!.driver, ownNode)))
    : [];
  await inParallel(run, [...podLists, ...[...run.driversAsked].map((d) => () => run.c.get('csidrivers', d)), ...own]);
}

/**
 * Adds the nodes these volumes are attached to (among the attachments read) to the nodes in view, and returns the
 * LISTs of the pods on each node in view whose pods were not listed yet.
 */
function podsOnNodesHolding(run: TargetRun, volumes: Set<string>): (() => Promise<unknown>)[] {
  for (const va of run.c.snapshot.volumeAttachments) if (va.persistentVolumeName && volumes.has(va.persistentVolumeName)) run.nodeNames.add(va.nodeName);
  const fresh = [...run.nodeNames].filter((n) => !run.podsListedOn.has(n));
  for (const n of fresh) run.podsListedOn.add(n);
  return fresh.map((node) => () => run.c.list('pods', undefined, `spec.nodeName=${node}`));
}

/**
 * Attachments by derived name, or all of them when those do not settle where the volumes are (see readTarget);
 * then the pods on the nodes found. Nothing once every attachment was listed.
 */
async function attachments(run: TargetRun): Promise<void> {
  if (run.scanned) return;
  await inParallel(run, wantedAttachments(run));
  if (!onFoundAttachments(run.c, run.pvNames)) {
    run.scanned = true;
    await everyAttachment(run.c);
  }
  await inParallel(run, podsOnNodesHolding(run, run.followed));
}

/** A node target: the claims of its pods, where else their volumes are attached, and the pods there that may hold them. */
async function podsOfTheNode(run: TargetRun, node: string): Promise<void> {
  for (const pod of run.c.snapshot.pods) {
    if (pod.nodeName === node) for (const claim of pod.claims) run.claimKeys.add(`${pod.namespace}/${claim.claimName}`);
  }
  await claims(run);
  const claimed = new Set(run.c.snapshot.pvcs.filter((pvc) => run.claimKeys.has(`${pvc.namespace}/${pvc.name}`)).flatMap((pvc) => pvc.volumeName ?? []));
  await inParallel(run, podsOnNodesHolding(run, claimed));
}

/** Only attachments on nodes this run reads: one whose node was never fetched would look left behind by a deleted node. */
function keepAttachmentsOnNodesRead(run: TargetRun): void {
  run.c.snapshot.volumeAttachments = run.c.snapshot.volumeAttachments.filter((va) => run.nodeNames.has(va.nodeName));
}

/**
 * Longhorn, for a node target or when a volume in view is Longhorn's (one discovery request otherwise), kept to the
 * volumes followed; the nodes of their replicas and engines are read too.
 */
async function longhorn(run: TargetRun): Promise<void> {
  const { c } = run;
  if (!run.node && !c.snapshot.pvs.some((pv) => run.pvNames.has(pv.name) && pv.csi?.driver === LONGHORN_DRIVER)) return;
  await c.longhorn();
  for (const n of scopeLonghorn(c.snapshot, run.pvNames)) run.nodeNames.add(n);
}

/** The nodes in view and their CSINodes, and the CSIDrivers of volumes read since the drivers were asked for. */
async function nodesAndDrivers(run: TargetRun): Promise<void> {
  const { c } = run;
  const moreDrivers = new Set(c.snapshot.pvs.map((pv) => pv.csi?.driver).filter((d): d is string => !!d && !run.driversAsked.has(d)));
  await inParallel(run, [
    ...[...run.nodeNames].map((n) => () => run.c.get('nodes', n)),
    ...[...run.nodeNames].map((n) => () => run.c.get('csinodes', n)),
    ...[...moreDrivers].map((d) => () => run.c.get('csidrivers', d)),
  ]);
}

/** A Lease says something only about a node that is not Ready (is its kubelet still renewing it?). */
async function leasesOfNotReadyNodes(run: TargetRun): Promise<void> {
  const ready = new Set(run.c.snapshot.nodes.filter((n) => n.ready === 'True').map((n) => n.name));
  await inParallel(run, [...run.nodeNames].filter((n) => !ready.has(n)).map((n) => () => run.c.get('leases', n, NODE_LEASE_NAMESPACE)));
}

/** Volume events of the pods found: the same server-filtered LISTs as a full run, scoped to their namespaces. */
async function volumeEvents(run: TargetRun): Promise<void> {
  const namespaces = new Set(run.c.snapshot.pods.map((p) => p.namespace));
  await inParallel(run, [...namespaces].flatMap((ns) => VOLUME_EVENTS.map((e) => () => run.c.list('events', ns, eventSelector(e)))));
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
function wantedAttachments(run: TargetRun): (() => Promise<unknown>)[] {
  const { c } = run;
  const names = new Set(podsUsing(c, attachable(c, run.pvNames)).filter(({ pod }) => pod.nodeName)
    .map(({ pod, pv }) => csiAttachmentName(pv.csi!.volumeHandle, pv.csi!.driver, pod.nodeName!)));
  return [...names].map((name) => () => run.c.get('volumeattachments', name));
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
 * Whether a claim's events may tell a story: it was read, and is not Bound with no more asked than it has and no
 * condition (that claim has no provisioning, binding or resize story left). A claim not read (not found, or
 * forbidden) has none to tell: checks read a claim's events only for a claim they have.
 */
function claimWithAStory(snapshot: Snapshot, key: string): boolean {
  const pvc = snapshot.pvcs.find((p) => `${p.namespace}/${p.name}` === key);
  return !!pvc && !(pvc.phase === 'Bound' && !pvc.deletionTimestamp && pvc.conditions.length === 0
    && pvc.requestedStorage !== undefined && pvc.requestedStorage === pvc.capacityStorage);
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
