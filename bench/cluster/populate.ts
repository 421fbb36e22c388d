// Fills an empty API server with a synthetic cluster of healthy workloads, then plants a known set of problems.
// Nothing else runs (no controllers, kubelets or scheduler), so the objects stay exactly as written here.
import { runLimited } from '../../src/util/concurrency.js';
import { BenchApi } from './api.js';
import * as o from './objects.js';

export interface Sizes {
  nodes: number;
  pods: number;
  claims: number;
  events: number;
}

/** A pod for a targeted run, and the findings `diagnose pod/<it>` must report, and no other. */
interface Target {
  namespace: string;
  name: string;
  findings: string[];
}

/** What was planted: the moment to judge it at (--now), the findings of each run, and the pods of the targeted runs. */
export interface Planted {
  now: string;
  /** "check Kind namespace/name" of every finding `diagnose -A` must report, and no other. */
  all: string[];
  /** A running synthetic pod with a bound CSI volume attached on its node: nothing to report. */
  healthy: Target;
  /** The Multi-Attach pod, waiting for a volume still attached to a down node. */
  stuck: Target;
}

export const findingKey = (check: string, subject: { kind: string; namespace?: string; name: string }) =>
  `${check} ${subject.kind} ${subject.namespace ? `${subject.namespace}/` : ''}${subject.name}`;

const NAMESPACES = 50;
const DOWN_A = 'node-down-a';
const DOWN_B = 'node-down-b';
const GONE = 'node-gone';

const nodeName = (i: number) => `node-${String(i + 1).padStart(4, '0')}`;
const nodeIp = (i: number) => `10.0.${Math.floor(i / 250)}.${(i % 250) + 2}`;
const podIp = (i: number) => `10.244.${Math.floor(i / 250) % 256}.${(i % 250) + 2}`;

export async function populate(api: BenchApi, sizes: Sizes, driver: string, log: (line: string) => void): Promise<Planted> {
  const c = api.concurrency;
  const all = <T>(items: T[], work: (item: T) => Promise<unknown>) => runLimited(items.map((item) => async () => { await work(item); }), c);
  const nodes = Array.from({ length: sizes.nodes }, (_, i) => nodeName(i));
  const namespaces = Array.from({ length: Math.min(NAMESPACES, Math.max(1, sizes.pods)) }, (_, i) => `team-${String(i + 1).padStart(2, '0')}`);
  const step = async (what: string, work: () => Promise<unknown>) => {
    const t0 = Date.now();
    const before = api.sent;
    await work();
    const s = (Date.now() - t0) / 1000;
    log(`${what}: ${api.sent - before} requests in ${s.toFixed(1)} s (${Math.round((api.sent - before) / Math.max(s, 0.001))}/s)`);
  };

  await step('namespaces, service accounts, storage class', async () => {
    await all([...namespaces, 'shop', 'prod', 'ci'], async (ns) => {
      await api.create('/api/v1/namespaces', o.namespace(ns));
      await api.create(`/api/v1/namespaces/${ns}/serviceaccounts`, o.defaultServiceAccount(ns));
    });
    await api.create('/apis/storage.k8s.io/v1/storageclasses', o.storageClass('bench', driver));
  });

  await step(`${nodes.length} nodes and CSINodes`, () => all(nodes, async (name) => {
    await api.create('/api/v1/nodes', o.node(name, { ready: 'True' }));
    await api.create('/apis/storage.k8s.io/v1/csinodes', o.csiNode(name, driver));
  }));

  // Pod i runs on node i % nodes; the first `claims` pods each use their own claim.
  const volumesOnNode = new Map<string, string[]>();
  const pvName = (i: number) => `pvc-${String(i).padStart(8, '0')}-bench`;
  await step(`${sizes.claims} claims, volumes and attachments`, () => all(Array.from({ length: sizes.claims }, (_, i) => i), async (i) => {
    const ns = namespaces[i % namespaces.length];
    const pv = pvName(i);
    await createVolume(api, driver, ns, `data-app-${i}`, pv, nodes[i % nodes.length]);
  }));
  for (let i = 0; i < sizes.claims; i++) push(volumesOnNode, nodes[i % nodes.length], o.uniqueVolumeName(driver, pvName(i)));

  const pods: HealthyPod[] = [];
  await step(`${sizes.pods} pods`, () => all(Array.from({ length: sizes.pods }, (_, i) => i), async (i) => {
    const ns = namespaces[i % namespaces.length];
    const node = nodes[i % nodes.length];
    const owner = { kind: 'ReplicaSet' as const, name: `app-${Math.floor(i / 10)}-7d9f6c5b8` };
    const name = `app-${i}-${(i * 2654435761 % 2 ** 32).toString(36).padStart(7, '0').slice(-5)}`;
    const created = JSON.parse(await api.create(`/api/v1/namespaces/${ns}/pods`, o.pod({ ns, name, node, owner, claim: i < sizes.claims ? `data-app-${i}` : undefined })));
    const started = Date.now();
    await api.patchStatus(`/api/v1/namespaces/${ns}/pods/${name}`, o.podStatus(nodeIp(i % nodes.length), podIp(i), started));
    pods[i] = { ns, name, uid: created.metadata.uid, node, started, pv: i < sizes.claims ? pvName(i) : undefined };
  }));

  await step(`${sizes.events} events`, () => all(Array.from({ length: Math.min(sizes.events, sizes.pods ? sizes.events : 0) }, (_, j) => j), (j) => {
    const p = pods[(j * 7919) % pods.length];
    return api.create(`/api/v1/namespaces/${p.ns}/events`, o.event(healthyPodEvent(p, j, driver), j));
  }));

  // The moment the planted story is told: the planted pods are created now, the nodes die around it, and the
  // run is judged 25 minutes later (--now), whatever the real clock says when the rounds run.
  const P = Date.now();
  const T = P + 25 * 60_000;
  const downA = P - 10 * 60_000;
  const downB = P + 60_000;
  const web = { ns: 'shop', name: 'web-7d9f6c5b8-x2k4p', claim: 'web-data', pv: 'pvc-1d2c3b4a-planted' };
  const db = { ns: 'prod', name: 'db-0', claim: 'data-db-0', pv: 'pvc-9f8e7d6c-planted' };
  const cache = { ns: 'ci', claim: 'build-cache', pv: 'pvc-5a5a5a5a-planted' };
  push(volumesOnNode, DOWN_A, o.uniqueVolumeName(driver, web.pv));
  push(volumesOnNode, DOWN_B, o.uniqueVolumeName(driver, db.pv));

  await step('node status and Leases', () => all([...nodes.map((n, i) => [n, i] as const), [DOWN_A, nodes.length] as const, [DOWN_B, nodes.length + 1] as const], async ([name, i]) => {
    const down = name === DOWN_A ? downA : name === DOWN_B ? downB : undefined;
    const health: o.Readiness = down === undefined ? { ready: 'True' } : { ready: 'Unknown', since: down };
    if (down !== undefined) {
      // Created here, once the time they went down (their taints' timeAdded) is known.
      await api.create('/api/v1/nodes', o.node(name, health));
      await api.create('/apis/storage.k8s.io/v1/csinodes', o.csiNode(name, driver));
    }
    await api.patchStatus(`/api/v1/nodes/${name}`, o.nodeStatus(name, nodeIp(i), health, T, volumesOnNode.get(name) ?? []));
    await api.create('/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases', o.lease(name, down === undefined ? T - 5_000 : down - 40_000));
  }));

  await step('planted problems', async () => {
    // 1. A Deployment's pod on DOWN_A was force-deleted; its replacement on a healthy node waits for the volume,
    //    which stays attached to DOWN_A (Multi-Attach).
    await createVolume(api, driver, web.ns, web.claim, web.pv, DOWN_A);
    await api.create(`/api/v1/namespaces/${web.ns}/pods`, o.pod({ ns: web.ns, name: web.name, node: nodes[0], claim: web.claim, owner: { kind: 'ReplicaSet', name: 'web-7d9f6c5b8' } }));
    const created = Date.now();
    await api.patchStatus(`/api/v1/namespaces/${web.ns}/pods/${web.name}`, o.podStatus(nodeIp(0), '', created, true));
    const webUid = JSON.parse(await api.must('GET', `/api/v1/namespaces/${web.ns}/pods/${web.name}`)).metadata.uid;
    await api.create(`/api/v1/namespaces/${web.ns}/events`, o.event({
      pod: { ns: web.ns, name: web.name, uid: webUid, node: nodes[0] }, type: 'Warning', reason: 'FailedAttachVolume', component: 'attachdetach-controller', count: 1,
      message: `Multi-Attach error for volume "${web.pv}" Volume is already exclusively attached to one node and can't be attached to another`, first: created + 20_000, last: created + 20_000,
    }, 1));
    // 2. A StatefulSet pod deleted just before its node (DOWN_B) died: no kubelet confirms it, so it stays Terminating.
    await createVolume(api, driver, db.ns, db.claim, db.pv, DOWN_B);
    await api.create(`/api/v1/namespaces/${db.ns}/pods`, o.pod({ ns: db.ns, name: db.name, node: DOWN_B, claim: db.claim, owner: { kind: 'StatefulSet', name: 'db' } }));
    await api.patchStatus(`/api/v1/namespaces/${db.ns}/pods/${db.name}`, o.podStatus(nodeIp(nodes.length + 1), '10.244.255.10', Date.now()));
    await api.must('DELETE', `/api/v1/namespaces/${db.ns}/pods/${db.name}`, { apiVersion: 'v1', kind: 'DeleteOptions', gracePeriodSeconds: 30 });
    // 3. An attachment left behind on a node whose object was deleted; no pod uses the claim any more.
    await createVolume(api, driver, cache.ns, cache.claim, cache.pv, GONE);
  });

  // The healthy targeted run's pod: one with a claim, on another node than the stuck pod's (nodes[0]) when there is one.
  const healthy = pods[Array.from({ length: sizes.claims }, (_, i) => i).find((i) => i % nodes.length !== 0) ?? 0];
  const va = (pv: string, node: string) => o.attachmentName(pv, driver, node);
  const key = (check: string, kind: string, name: string, ns?: string) => findingKey(check, { kind, namespace: ns, name });
  const webFindings = [
    key('multi-attach', 'Pod', web.name, web.ns),
    key('stale-volume-attachment', 'VolumeAttachment', va(web.pv, DOWN_A)),
    key('node-down-with-volumes', 'Node', DOWN_A),
    // DOWN_A's last status still lists the volume in volumesInUse, though no pod there uses it.
    key('volume-in-use-without-pod', 'Node', DOWN_A),
  ];
  return {
    now: o.iso(T),
    all: [
      ...webFindings,
      key('terminating-pod-on-unreachable-node', 'Pod', db.name, db.ns),
      key('stale-volume-attachment', 'VolumeAttachment', va(db.pv, DOWN_B)),
      key('node-down-with-volumes', 'Node', DOWN_B),
      key('stale-volume-attachment', 'VolumeAttachment', va(cache.pv, GONE)),
    ].sort(),
    healthy: { namespace: healthy.ns, name: healthy.name, findings: [] },
    stuck: { namespace: web.ns, name: web.name, findings: [...webFindings].sort() },
  };
}

function push(map: Map<string, string[]>, key: string, value: string): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

/** A bound claim, its volume, and an attachment of it to `node` that the attacher confirmed. */
async function createVolume(api: BenchApi, driver: string, ns: string, claimName: string, pv: string, node: string): Promise<void> {
  const claim = JSON.parse(await api.create(`/api/v1/namespaces/${ns}/persistentvolumeclaims`, o.claim(ns, claimName, pv)));
  await api.create('/api/v1/persistentvolumes', o.volume(pv, driver, { namespace: ns, name: claimName, uid: claim.metadata.uid }));
  await api.patchStatus(`/api/v1/persistentvolumes/${pv}`, o.volumeStatus);
  await api.patchStatus(`/api/v1/namespaces/${ns}/persistentvolumeclaims/${claimName}`, o.claimStatus);
  const attachment = o.attachment(pv, driver, node);
  await api.create('/apis/storage.k8s.io/v1/volumeattachments', attachment);
  await api.patchStatus(`/apis/storage.k8s.io/v1/volumeattachments/${attachment.metadata.name}`, o.attachmentStatus);
}

interface HealthyPod {
  ns: string;
  name: string;
  uid: string;
  node: string;
  started: number;
  /** Its volume, if it uses a claim. */
  pv?: string;
}

/**
 * Events of a healthy cluster: mostly Normal ones volume-doctor's field selectors skip, and one in ten an old
 * Warning about a volume that was late to attach or mount, from before the pod started (it must stay quiet).
 */
function healthyPodEvent(p: HealthyPod, j: number, driver: string): o.EventSpec {
  const base = { pod: p, count: 1, first: p.started - 40_000, last: p.started - 40_000 };
  if (p.pv && j % 10 === 0) {
    return j % 20 === 0
      ? {
        ...base, type: 'Warning', reason: 'FailedAttachVolume', component: 'attachdetach-controller', first: p.started - 10 * 60_000, last: p.started - 9 * 60_000, count: 2,
        message: `AttachVolume.Attach failed for volume "${p.pv}" : timed out waiting for external-attacher of ${driver} CSI driver to attach volume ${p.pv}`,
      }
      : {
        ...base, type: 'Warning', reason: 'FailedMount', component: 'kubelet', first: p.started - 8 * 60_000, last: p.started - 6 * 60_000, count: 3,
        message: `MountVolume.WaitForAttach failed for volume "${p.pv}" : volume attachment is being deleted`,
      };
  }
  if (p.pv && j % 10 === 5) {
    return { ...base, type: 'Normal', reason: 'SuccessfulAttachVolume', component: 'attachdetach-controller', message: `AttachVolume.Attach succeeded for volume "${p.pv}" ` };
  }
  const normal = [
    { reason: 'Scheduled', component: 'default-scheduler', message: `Successfully assigned ${p.ns}/${p.name} to ${p.node}` },
    { reason: 'Pulled', component: 'kubelet', message: `Container image "${o.IMAGE}" already present on machine` },
    { reason: 'Created', component: 'kubelet', message: 'Created container: app' },
    { reason: 'Started', component: 'kubelet', message: 'Started container app' },
  ][j % 4];
  return { ...base, type: 'Normal', ...normal };
}
