// The stuck-volume stories, built with real objects; the real controllers and scheduler make the stuck state.
// Each scenario lives in its own namespace and waits until the stuck state really exists.
import type { KubeClient } from '../../src/cluster/kube-client.js';
import { ClusterState, SIM_KUBELET_ANNOTATION, TEST_DRIVER, findCluster } from './state.js';
import { apply, client, kubectl, waitFor } from './kube.js';
import { kubeletAnswers, kubeletCutOff, kubeletSilent, nodeDown, nodeUp, setAttacher, setInUse, setLogQuery, setOrphanedPods } from './controls.js';
import { uniqueVolumeName, volumePath } from './kubelets.js';
import { lh, longhornCrds, LONGHORN_DRIVER, LONGHORN_NS } from './longhorn.js';

 
type Raw = any;
const log = (line: string) => process.stderr.write(`[scenario] ${line}\n`);

export interface ScenarioResult {
  namespace: string;
  /** What a test or a person should look at. */
  facts: Record<string, string>;
  /** Puts back what the story changed outside its namespace (nodes, CSINodes, the agent's controls). */
  undo?: () => Promise<void>;
}

/** A pre-provisioned RWO volume and its claim (users create these; no controller does). */
function volume(ns: string, claim: string, pvName: string, driver = TEST_DRIVER): Raw[] {
  return [
    {
      apiVersion: 'v1', kind: 'PersistentVolume', metadata: { name: pvName },
      spec: {
        capacity: { storage: '1Gi' }, accessModes: ['ReadWriteOnce'], persistentVolumeReclaimPolicy: 'Retain', storageClassName: '',
        csi: { driver, volumeHandle: pvName, fsType: 'ext4' }, claimRef: { namespace: ns, name: claim },
      },
    },
    {
      apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: claim, namespace: ns },
      spec: { accessModes: ['ReadWriteOnce'], storageClassName: '', volumeName: pvName, resources: { requests: { storage: '1Gi' } } },
    },
  ];
}

/** Pod template: the agent plays its kubelet; short not-ready/unreachable tolerations (a real user setting) keep tests fast. */
/** A one-replica StatefulSet `app` whose pod uses `claim` (its pod is `${app}-0`). */
function statefulSet(ns: string, app: string, claim: string, extra: Raw = {}): Raw {
  return {
    apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: { name: app, namespace: ns },
    spec: { replicas: 1, serviceName: app, selector: { matchLabels: { app } }, template: template(app, claim, extra) },
  };
}

function template(app: string, claim: string, extra: Raw = {}): Raw {
  return {
    metadata: { labels: { app }, annotations: { [SIM_KUBELET_ANNOTATION]: 'custom' } },
    spec: {
      automountServiceAccountToken: false,
      terminationGracePeriodSeconds: 5,
      containers: [{ name: 'app', image: 'registry.example/app:1.0', volumeMounts: [{ name: 'data', mountPath: '/data' }] }],
      volumes: [{ name: 'data', persistentVolumeClaim: { claimName: claim } }],
      tolerations: [
        { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 5 },
        { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 5 },
      ],
      ...extra,
    },
  };
}

/** A bare pod of `template`, as a user would create one. */
function pod(ns: string, name: string, app: string, claim: string, extra: Raw = {}): Raw {
  const t = template(app, claim, extra);
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: ns, ...t.metadata }, spec: t.spec };
}

/** The pods of `ns`, or of every namespace. */
async function pods(c: KubeClient, ns?: string): Promise<Raw[]> {
  return (await c.request<{ items: Raw[] }>(ns ? `/api/v1/namespaces/${ns}/pods` : '/api/v1/pods')).items;
}

async function runningPod(c: KubeClient, ns: string, app: string): Promise<Raw> {
  return waitFor(`a Running ${app} pod in ${ns}`, async () => (await pods(c, ns)).find((p) => p.metadata.labels?.app === app && p.status?.phase === 'Running' && !p.metadata.deletionTimestamp), 120_000);
}

async function nodeIs(c: KubeClient, node: string, status: 'True' | 'Unknown'): Promise<void> {
  await waitFor(`node ${node} Ready=${status}`, async () => {
    const n = await c.get<Raw>(`/api/v1/nodes/${node}`);
    return n?.status?.conditions?.find((x: Raw) => x.type === 'Ready')?.status === status;
  }, 180_000);
}

/** Ready, and no taint that keeps pods off it. */
const settled = (n: Raw): boolean => n?.status?.conditions?.find((x: Raw) => x.type === 'Ready')?.status === 'True'
  && !(n.spec?.taints ?? []).some((t: Raw) => t.effect !== 'PreferNoSchedule');

/** A node a story pins pods to must be Ready and untainted: one an earlier story took down may still be coming back. */
async function nodeSettled(c: KubeClient, node: string): Promise<void> {
  await waitFor(`node ${node} Ready without taints`, async () => settled(await c.get<Raw>(`/api/v1/nodes/${node}`)), 180_000);
}

function namespace(state: ClusterState, ns: string): void {
  apply(state.kubeconfig, [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } }]);
}

/** Story 1: a Deployment pod on a node that goes down is force-deleted; the new pod reports Multi-Attach. */
async function deploymentMultiAttach(state: ClusterState, c: KubeClient): Promise<ScenarioResult> {
  const ns = 'story1';
  namespace(state, ns);
  apply(state.kubeconfig, [...volume(ns, 'web-data', 'pv-story1'), {
    apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: ns },
    spec: { replicas: 1, selector: { matchLabels: { app: 'web' } }, strategy: { type: 'Recreate' }, template: template('web', 'web-data') },
  }]);
  const old = await runningPod(c, ns, 'web');
  const node = old.spec.nodeName;
  log(`story1: web runs on ${node}; taking ${node} down`);
  await nodeDown(state, node);
  await nodeIs(c, node, 'Unknown');
  await waitFor(`eviction of ${old.metadata.name}`, async () => !!(await c.get<Raw>(`/api/v1/namespaces/${ns}/pods/${old.metadata.name}`))?.metadata?.deletionTimestamp, 120_000);
  log(`story1: ${old.metadata.name} is Terminating on ${node}; force-deleting it as an operator would`);
  kubectl(state.kubeconfig, ['delete', 'pod', old.metadata.name, '-n', ns, '--grace-period=0', '--force']);
  const replacement = await waitFor('the replacement pod', async () => (await pods(c, ns)).find((p) => p.metadata.name !== old.metadata.name && p.spec.nodeName), 120_000);
  await waitFor('the Multi-Attach event', async () => {
    const events = await c.request<{ items: Raw[] }>(`/api/v1/namespaces/${ns}/events`, { query: { fieldSelector: `involvedObject.name=${replacement.metadata.name},reason=FailedAttachVolume` } });
    return events.items.some((e) => /Multi-Attach/.test(e.message));
  }, 120_000);
  return { namespace: ns, facts: { downNode: node, oldPod: old.metadata.name, waitingPod: replacement.metadata.name, waitingNode: replacement.spec.nodeName, pv: 'pv-story1' } };
}

/** Story 2: a StatefulSet pod stuck Terminating on a node that went down; its replacement cannot be created. */
async function statefulSetTerminating(state: ClusterState, c: KubeClient): Promise<ScenarioResult> {
  const ns = 'story2';
  namespace(state, ns);
  apply(state.kubeconfig, [...volume(ns, 'data-db-0', 'pv-story2'), statefulSet(ns, 'db', 'data-db-0')]);
  const pod = await runningPod(c, ns, 'db');
  const node = pod.spec.nodeName;
  log(`story2: db-0 runs on ${node}; taking ${node} down`);
  await nodeDown(state, node);
  await nodeIs(c, node, 'Unknown');
  await waitFor('db-0 evicted by the taint manager', async () => !!(await c.get<Raw>(`/api/v1/namespaces/${ns}/pods/db-0`))?.metadata?.deletionTimestamp, 120_000);
  return { namespace: ns, facts: { downNode: node, pod: 'db-0', pv: 'pv-story2' } };
}

/** Story 3: a volume stays in use without a pod on a Ready node; a pod elsewhere waits for it. */
async function inUseWithoutPod(state: ClusterState, c: KubeClient): Promise<ScenarioResult> {
  const ns = 'story3';
  namespace(state, ns);
  const [first, second] = state.nodes;
  for (const n of [first, second]) await nodeSettled(c, n);
  const pinned = (node: string) => ({ nodeSelector: { 'kubernetes.io/hostname': node } });
  apply(state.kubeconfig, [...volume(ns, 'cache-data', 'pv-story3'), pod(ns, 'cache-old', 'cache', 'cache-data', pinned(first))]);
  await runningPod(c, ns, 'cache');
  const unique = `kubernetes.io/csi/${TEST_DRIVER}^pv-story3`;
  log(`story3: the kubelet on ${first} keeps ${unique} mounted after its pod is deleted`);
  setInUse(state, first, [unique]);
  kubectl(state.kubeconfig, ['delete', 'pod', 'cache-old', '-n', ns, '--wait=true', '--timeout=90s']);
  apply(state.kubeconfig, [pod(ns, 'cache-new', 'cache', 'cache-data', pinned(second))]);
  await waitFor('the Multi-Attach event for cache-new', async () => {
    const events = await c.request<{ items: Raw[] }>(`/api/v1/namespaces/${ns}/events`, { query: { fieldSelector: 'involvedObject.name=cache-new,reason=FailedAttachVolume' } });
    return events.items.length > 0;
  }, 120_000);
  return { namespace: ns, facts: { inUseNode: first, waitingNode: second, waitingPod: 'cache-new', pv: 'pv-story3' }, undo: async () => setInUse(state, first, []) };
}

/** Story 4: a VolumeAttachment stuck deleting because detach fails, while the pod comes back on the same node. */
async function detachFails(state: ClusterState, c: KubeClient): Promise<ScenarioResult> {
  const ns = 'story4';
  namespace(state, ns);
  const node = state.nodes[0];
  await nodeSettled(c, node);
  apply(state.kubeconfig, [...volume(ns, 'data-ledger-0', 'pv-story4'), statefulSet(ns, 'ledger', 'data-ledger-0', { nodeSelector: { 'kubernetes.io/hostname': node } })]);
  await runningPod(c, ns, 'ledger');
  const message = 'rpc error: code = Internal desc = volume pv-story4 is busy on the node';
  setAttacher(state, 'fail-detach', message);
  log('story4: detach now fails; scaling ledger to 0 so the attach/detach controller detaches');
  kubectl(state.kubeconfig, ['scale', 'statefulset', 'ledger', '-n', ns, '--replicas=0']);
  const va = await waitFor('a VolumeAttachment with a detachError', async () => {
    const vas = await c.request<{ items: Raw[] }>('/apis/storage.k8s.io/v1/volumeattachments');
    return vas.items.find((v) => v.spec.source?.persistentVolumeName === 'pv-story4' && v.metadata.deletionTimestamp && v.status?.detachError);
  }, 180_000);
  kubectl(state.kubeconfig, ['scale', 'statefulset', 'ledger', '-n', ns, '--replicas=1']);
  await waitFor('ledger-0 back on the same node', async () => (await c.get<Raw>(`/api/v1/namespaces/${ns}/pods/ledger-0`))?.spec?.nodeName === node, 120_000);
  // Detach keeps failing until undo: a VolumeAttachment left deleting on a node blocks any later attach of its volume there.
  return { namespace: ns, facts: { node, volumeAttachment: va.metadata.name, pod: 'ledger-0', pv: 'pv-story4', message }, undo: async () => setAttacher(state, 'ok') };
}

/** Story 5: an out-of-service taint left on a node that came back. */
async function taintLeft(state: ClusterState, c: KubeClient): Promise<ScenarioResult> {
  const node = state.nodes[state.nodes.length - 1];
  await nodeDown(state, node);
  await nodeIs(c, node, 'Unknown');
  kubectl(state.kubeconfig, ['taint', 'node', node, 'node.kubernetes.io/out-of-service=nodeshutdown:NoExecute', '--overwrite']);
  await nodeUp(state, node);
  await nodeIs(c, node, 'True');
  return { namespace: '', facts: { node } };
}

async function setStatus(c: KubeClient, path: string, status: Raw): Promise<void> {
  await c.request(`${path}/status`, { method: 'PATCH', body: { status }, contentType: 'application/merge-patch+json' });
}

/**
 * Story 6, Longhorn: Longhorn-shaped CRDs and the objects longhorn-manager would write (there is no
 * longhorn-manager here). A rolling upgrade reformatted the disks of the first two nodes: both replicas of
 * pvc-lh-reports point at the old disk UUIDs and stay stopped, so the volume is faulted and hangs attaching
 * while its pod waits. Meanwhile the last node goes down under a StatefulSet pod on a healthy Longhorn volume,
 * with node-down-pod-deletion-policy left at do-nothing.
 */
async function longhornDiskReplaced(state: ClusterState, c: KubeClient): Promise<ScenarioResult> {
  const ns = 'story6';
  const lhPath = (plural: string, name: string) => `/apis/longhorn.io/v1beta2/namespaces/${LONGHORN_NS}/${plural}/${name}`;
  apply(state.kubeconfig, longhornCrds());
  kubectl(state.kubeconfig, ['wait', '--for=condition=Established', '--timeout=60s', ...longhornCrds().map((d) => `crd/${d.metadata.name}`)]);
  namespace(state, LONGHORN_NS);
  namespace(state, ns);
  const [first, second] = state.nodes;
  const last = state.nodes[state.nodes.length - 1];
  const beforeLast = state.nodes[state.nodes.length - 2];
  const diskUuid = (node: string) => (node === first || node === second ? `${node}-disk-new-uuid` : `${node}-disk-uuid`);
  apply(state.kubeconfig, [
    { apiVersion: 'storage.k8s.io/v1', kind: 'CSIDriver', metadata: { name: LONGHORN_DRIVER }, spec: { attachRequired: true, podInfoOnMount: true } },
    ...state.nodes.map((n) => ({ apiVersion: 'storage.k8s.io/v1', kind: 'CSINode', metadata: { name: n }, spec: { drivers: [{ name: TEST_DRIVER, nodeID: n, topologyKeys: null }, { name: LONGHORN_DRIVER, nodeID: n, topologyKeys: null }] } })),
    lh.setting('node-down-pod-deletion-policy', 'do-nothing'),
    ...state.nodes.map((n) => lh.node(n, `default-disk-${n}`)),
  ]);
  for (const n of state.nodes) await setStatus(c, lhPath('nodes', n), { diskStatus: { [`default-disk-${n}`]: { diskUUID: diskUuid(n), storageAvailable: 53687091200 } } });

  // The faulted volume: replicas on the reformatted disks, engine stopped, the CSI attach ticket unsatisfied.
  const reports = 'pvc-lh-reports';
  const reportsClaim = { namespace: ns, name: 'reports-data' };
  apply(state.kubeconfig, [
    ...volume(ns, reportsClaim.name, reports, LONGHORN_DRIVER),
    lh.volume(reports, first), lh.replica(`${reports}-r-1a2b`, reports, first, `${first}-disk-old-uuid`), lh.replica(`${reports}-r-3c4d`, reports, second, `${second}-disk-old-uuid`),
    lh.engine(`${reports}-e-0`, reports, first), lh.attachment(reports, `csi-${reports}-ticket`, first),
  ]);
  await setStatus(c, lhPath('volumes', reports), lh.volumeStatus('attaching', 'faulted', first, reports, reportsClaim));
  for (const r of [`${reports}-r-1a2b`, `${reports}-r-3c4d`]) await setStatus(c, lhPath('replicas', r), { currentState: 'stopped', instanceManagerName: `instance-manager-${r.endsWith('1a2b') ? first : second}` });
  await setStatus(c, lhPath('engines', `${reports}-e-0`), { currentState: 'stopped', replicaModeMap: {} });
  await setStatus(c, lhPath('volumeattachments', reports), { attachmentTicketStatuses: { [`csi-${reports}-ticket`]: { id: `csi-${reports}-ticket`, satisfied: false } } });
  apply(state.kubeconfig, [pod(ns, 'reports', 'reports', reportsClaim.name, { nodeSelector: { 'kubernetes.io/hostname': first } })]);
  await waitFor('the VolumeAttachment of pvc-lh-reports', async () => (await c.request<{ items: Raw[] }>('/apis/storage.k8s.io/v1/volumeattachments')).items.find((v) => v.spec.source?.persistentVolumeName === reports), 60_000);

  // The healthy volume under a StatefulSet pod on the last node; Longhorn's CSI attacher (played here) attaches it.
  const pg = 'pvc-lh-pg';
  await nodeSettled(c, last);
  const pgClaim = { namespace: ns, name: 'data-pg-0' };
  apply(state.kubeconfig, [
    ...volume(ns, pgClaim.name, pg, LONGHORN_DRIVER),
    lh.volume(pg, last), lh.replica(`${pg}-r-5e6f`, pg, last, diskUuid(last)), lh.replica(`${pg}-r-7a8b`, pg, beforeLast, diskUuid(beforeLast)), lh.engine(`${pg}-e-0`, pg, last),
    statefulSet(ns, 'pg', pgClaim.name, { nodeSelector: { 'kubernetes.io/hostname': last } }),
  ]);
  await setStatus(c, lhPath('volumes', pg), lh.volumeStatus('attached', 'healthy', last, pg, pgClaim));
  for (const r of [`${pg}-r-5e6f`, `${pg}-r-7a8b`]) await setStatus(c, lhPath('replicas', r), { currentState: 'running', instanceManagerName: `instance-manager-${r.endsWith('5e6f') ? last : beforeLast}` });
  await setStatus(c, lhPath('engines', `${pg}-e-0`), { currentState: 'running', replicaModeMap: { [`${pg}-r-5e6f`]: 'RW', [`${pg}-r-7a8b`]: 'RW' } });
  const va = await waitFor('the VolumeAttachment of pvc-lh-pg', async () => (await c.request<{ items: Raw[] }>('/apis/storage.k8s.io/v1/volumeattachments')).items.find((v) => v.spec.source?.persistentVolumeName === pg), 60_000);
  await setStatus(c, `/apis/storage.k8s.io/v1/volumeattachments/${va.metadata.name}`, { attached: true, attachmentMetadata: {} });
  await runningPod(c, ns, 'pg');
  log(`story6: pg-0 runs on ${last} on a Longhorn volume; taking ${last} down`);
  await nodeDown(state, last);
  await nodeIs(c, last, 'Unknown');
  await setStatus(c, lhPath('volumes', pg), { robustness: 'degraded' });
  await setStatus(c, lhPath('replicas', `${pg}-r-5e6f`), { currentState: 'unknown' });
  await waitFor('pg-0 evicted by the taint manager', async () => !!(await c.get<Raw>(`/api/v1/namespaces/${ns}/pods/pg-0`))?.metadata?.deletionTimestamp, 120_000);
  return { namespace: ns, facts: { faultedVolume: reports, waitingPod: 'reports', node: first, otherNode: second, newDisk: diskUuid(first), oldDisk: `${first}-disk-old-uuid`, downNode: last, stuckPod: 'pg-0', healthyVolume: pg } };
}

/** Unique volume handles of `driver` a node already carries (pods bound to it and VolumeAttachments), as the scheduler counts them. */
async function volumesOnNode(c: KubeClient, node: string, driver: string): Promise<Set<string>> {
  const [allPods, pvcs, pvs, vas] = await Promise.all([
    c.request<{ items: Raw[] }>('/api/v1/pods', { query: { fieldSelector: `spec.nodeName=${node}` } }),
    c.request<{ items: Raw[] }>('/api/v1/persistentvolumeclaims'),
    c.request<{ items: Raw[] }>('/api/v1/persistentvolumes'),
    c.request<{ items: Raw[] }>('/apis/storage.k8s.io/v1/volumeattachments'),
  ]);
  const pvByName = new Map(pvs.items.map((p) => [p.metadata.name, p]));
  const pvNameOfClaim = new Map(pvcs.items.map((p) => [`${p.metadata.namespace}/${p.metadata.name}`, p.spec.volumeName]));
  const handles = new Set<string>();
  const add = (pvName?: string) => {
    const pv = pvName ? pvByName.get(pvName) : undefined;
    if (pv?.spec?.csi?.driver === driver) handles.add(pv.spec.csi.volumeHandle);
  };
  for (const p of allPods.items.filter((x) => !['Succeeded', 'Failed'].includes(x.status?.phase))) {
    for (const v of p.spec.volumes ?? []) if (v.persistentVolumeClaim) add(pvNameOfClaim.get(`${p.metadata.namespace}/${v.persistentVolumeClaim.claimName}`));
  }
  for (const va of vas.items.filter((v) => v.spec.nodeName === node && v.spec.attacher === driver)) add(va.spec.source?.persistentVolumeName);
  return handles;
}

/**
 * A CSINode's drivers are immutable (unless the alpha MutableCSINodeAllocatableCount gate is on), so a new attach
 * limit means a new object, as when a kubelet registers its driver again. Returns how to put the old one back.
 */
async function setAttachLimit(c: KubeClient, node: string, driver: string, count: number): Promise<() => Promise<void>> {
  const path = `/apis/storage.k8s.io/v1/csinodes/${node}`;
  const before = await c.get<Raw>(path);
  const replace = async (spec: Raw) => {
    await c.request(path, { method: 'DELETE' }).catch(() => undefined);
    await c.request('/apis/storage.k8s.io/v1/csinodes', { method: 'POST', body: { apiVersion: 'storage.k8s.io/v1', kind: 'CSINode', metadata: { name: node }, spec } });
  };
  const drivers = (before?.spec?.drivers ?? [{ name: driver, nodeID: node, topologyKeys: null }]) as Raw[];
  await replace({ drivers: drivers.map((d) => (d.name === driver ? { ...d, allocatable: { count } } : d)) });
  return () => replace({ drivers });
}

async function podScheduledFalse(c: KubeClient, ns: string, name: string, message: RegExp): Promise<Raw> {
  return waitFor(`the scheduler to leave ${ns}/${name} unscheduled with ${message}`, async () => {
    const p = await c.get<Raw>(`/api/v1/namespaces/${ns}/pods/${name}`);
    const cond = p?.status?.conditions?.find((x: Raw) => x.type === 'PodScheduled');
    if (p?.spec?.nodeName) throw new Error(`${name} was scheduled onto ${p.spec.nodeName}`);
    return cond?.status === 'False' && message.test(cond.message ?? '') ? p : undefined;
  }, 60_000);
}

/**
 * Story 7: the real kube-scheduler cannot place pods because of their volumes. (a) A pre-provisioned PV whose
 * node affinity asks for a zone no node is in; (b) a node whose CSINode allows one more volume of the test
 * driver than it carries, and two pods pinned to it, each with a volume of its own: the second exceeds it.
 */
async function schedulingBlockedByVolume(state: ClusterState, c: KubeClient): Promise<ScenarioResult> {
  const ns = 'story7';
  namespace(state, ns);
  const zone = { key: 'topology.kubernetes.io/zone', value: 'zone-z' };
  const [zonal, zonalClaim] = volume(ns, 'archive-data', 'pv-story7-zone');
  zonal.spec.nodeAffinity = { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: zone.key, operator: 'In', values: [zone.value] }] }] } };
  apply(state.kubeconfig, [zonal, zonalClaim, pod(ns, 'archive', 'archive', 'archive-data')]);
  const archive = await podScheduledFalse(c, ns, 'archive', /node affinity/);
  log(`story7: archive is unschedulable: ${archive.status.conditions.find((x: Raw) => x.type === 'PodScheduled').message}`);

  // The Ready node carrying the fewest volumes of the test driver; its limit becomes what it carries plus one.
  const nodes = (await c.request<{ items: Raw[] }>('/api/v1/nodes')).items
    .filter((n) => n.status?.conditions?.some((x: Raw) => x.type === 'Ready' && x.status === 'True') && !n.spec?.unschedulable && !(n.spec?.taints ?? []).length)
    .map((n) => n.metadata.name as string);
  if (!nodes.length) throw new Error('no Ready, untainted, schedulable node for the attach-limit half of story 7');
  const carried = await Promise.all(nodes.map(async (n) => ({ n, volumes: await volumesOnNode(c, n, TEST_DRIVER) })));
  const { n: node, volumes } = carried.sort((a, b) => a.volumes.size - b.volumes.size)[0];
  const limit = volumes.size + 1;
  const restore = await setAttachLimit(c, node, TEST_DRIVER, limit);
  log(`story7: CSINode ${node} now allows ${limit} volume(s) of ${TEST_DRIVER}; it carries ${volumes.size}`);
  const pinned = { nodeSelector: { 'kubernetes.io/hostname': node } };
  apply(state.kubeconfig, [...volume(ns, 'shard-a-data', 'pv-story7-a'), ...volume(ns, 'shard-b-data', 'pv-story7-b'), pod(ns, 'shard-a', 'shard-a', 'shard-a-data', pinned)]);
  await runningPod(c, ns, 'shard-a');
  apply(state.kubeconfig, [pod(ns, 'shard-b', 'shard-b', 'shard-b-data', pinned)]);
  const blocked = await podScheduledFalse(c, ns, 'shard-b', /exceed max volume count/);
  log(`story7: shard-b is unschedulable: ${blocked.status.conditions.find((x: Raw) => x.type === 'PodScheduled').message}`);
  return {
    namespace: ns,
    facts: { pod: 'archive', claim: 'archive-data', pv: 'pv-story7-zone', zoneKey: zone.key, zone: zone.value, limitNode: node, limit: String(limit), runningPod: 'shard-a', blockedPod: 'shard-b', blockedPv: 'pv-story7-b' },
    undo: async () => {
      kubectl(state.kubeconfig, ['delete', 'pod', 'shard-a', 'shard-b', '-n', ns, '--ignore-not-found', '--wait=true', '--timeout=60s']);
      await restore();
    },
  };
}

/**
 * Story 8: a bound claim of a StorageClass that allows expansion is asked to grow, and no external resizer runs
 * for its CSI driver: the expand controller leaves it to one (ExternalExpanding) and nothing happens after that.
 */
async function expansionStuck(state: ClusterState, c: KubeClient): Promise<ScenarioResult> {
  const ns = 'story8';
  namespace(state, ns);
  const storageClass = 'expandable';
  const [pv, claim] = volume(ns, 'reports-db-data', 'pv-story8');
  pv.spec.storageClassName = storageClass;
  claim.spec.storageClassName = storageClass;
  apply(state.kubeconfig, [
    { apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass', metadata: { name: storageClass }, provisioner: TEST_DRIVER, allowVolumeExpansion: true, reclaimPolicy: 'Retain', volumeBindingMode: 'Immediate' },
    pv, claim, pod(ns, 'reports-db', 'reports-db', 'reports-db-data'),
  ]);
  const path = `/api/v1/namespaces/${ns}/persistentvolumeclaims/reports-db-data`;
  await waitFor('reports-db-data Bound', async () => (await c.get<Raw>(path))?.status?.phase === 'Bound', 60_000);
  await runningPod(c, ns, 'reports-db');
  log('story8: reports-db runs on its 1Gi claim; asking for 2Gi with no external resizer running');
  await c.request(path, { method: 'PATCH', body: { spec: { resources: { requests: { storage: '2Gi' } } } }, contentType: 'application/merge-patch+json' });
  const event = await waitFor('the ExternalExpanding event', async () => {
    const events = await c.request<{ items: Raw[] }>(`/api/v1/namespaces/${ns}/events`, { query: { fieldSelector: 'involvedObject.name=reports-db-data,reason=ExternalExpanding' } });
    return events.items[0];
  }, 60_000);
  log(`story8: ${event.type} ${event.reason}: ${event.message}`);
  return { namespace: ns, facts: { claim: 'reports-db-data', pv: 'pv-story8', storageClass, pod: 'reports-db', requested: '2Gi', capacity: '1Gi', driver: TEST_DRIVER, message: event.message } };
}

const OUT_OF_SERVICE = 'node.kubernetes.io/out-of-service';

/** Brings a node a story took down back, without the out-of-service taint a fix may have written. */
async function nodeBack(state: ClusterState, c: KubeClient, node: string): Promise<void> {
  // Re-read: the test may have started or stopped this cluster's processes since the story was built.
  await nodeUp(findCluster(state.dir), node);
  const n = await c.get<Raw>(`/api/v1/nodes/${node}`);
  const taints: Raw[] = n?.spec?.taints ?? [];
  if (taints.some((t) => t.key === OUT_OF_SERVICE)) {
    await c.request(`/api/v1/nodes/${node}`, { method: 'PATCH', body: { spec: { taints: taints.filter((t) => t.key !== OUT_OF_SERVICE) } }, contentType: 'application/merge-patch+json' });
  }
  await nodeIs(c, node, 'True');
}

/** The kubelet's own answer through the API server's node proxy. */
async function kubeletPods(c: KubeClient, node: string): Promise<Raw[]> {
  return (JSON.parse(await c.request<string>(`/api/v1/nodes/${node}/proxy/pods`, { raw: true })) as { items: Raw[] }).items;
}

/**
 * Story 9: a StatefulSet pod on a CSI volume; its node's kubelet loses the API server (no status, no Lease: the
 * node goes Unknown and the pod is evicted, Terminating) but the machine runs on and the kubelet answers through
 * the node proxy. Acting as if the node were down would now corrupt data.
 */
async function kubeletStillAnswers(state: ClusterState, c: KubeClient): Promise<ScenarioResult> {
  const ns = 'story9';
  namespace(state, ns);
  // This story's fix waits for every pod the node-down finding blocks to run again, so vault-0 starts on a node
  // where no other story left a pod with a volume that cannot run elsewhere: pinned there by a nodeSelector, owned
  // by no controller that would recreate it, or not Running. Only the first pod is placed so: the StatefulSet
  // updates OnDelete, and with the affinity dropped from its template once vault-0 runs, the replacement the
  // eviction brings may run on any node.
  const withVolumes = (await pods(c)).filter((p) => p.metadata.namespace !== ns && p.spec?.nodeName
    && (p.spec.volumes ?? []).some((v: Raw) => v.persistentVolumeClaim || v.nfs || v.ephemeral));
  const stuckThere = (p: Raw) => !!p.spec.nodeSelector?.['kubernetes.io/hostname'] || !(p.metadata.ownerReferences ?? []).some((o: Raw) => o.controller)
    || p.status?.phase !== 'Running' || !!p.metadata.deletionTimestamp;
  const held = new Set<string>(withVolumes.filter(stuckThere).map((p) => p.spec.nodeName as string));
  const free = state.nodes.filter((n) => !held.has(n));
  if (!free.length) throw new Error(`story9 needs a node where no other story left a pod with a volume that cannot move; every node holds one: ${[...held].join(', ')}`);
  // Those of them that are Ready and untainted; if none is yet (a story may be bringing one back), once one is.
  const candidates = await waitFor(`one of ${free.join(', ')} Ready without taints`, async () => {
    const nodes = (await c.request<{ items: Raw[] }>('/api/v1/nodes')).items.filter((n) => free.includes(n.metadata.name) && settled(n));
    return nodes.length ? nodes.map((n) => n.metadata.name as string) : undefined;
  }, 180_000);
  // Better still, a node with no other story's volumes at all: fewer pods for the fix to wait for.
  const empty = candidates.filter((n) => !withVolumes.some((p) => p.spec.nodeName === n));
  const quiet = empty.length ? empty : candidates;
  log(`story9: starting vault on ${quiet.join(' or ')} (pods of other stories that cannot move hold volumes on ${[...held].join(', ') || 'no node'})`);
  const onQuiet = { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: quiet }] }] } } };
  const vault = statefulSet(ns, 'vault', 'data-vault-0', { affinity: onQuiet });
  vault.spec.updateStrategy = { type: 'OnDelete' };
  apply(state.kubeconfig, [...volume(ns, 'data-vault-0', 'pv-story9'), vault]);
  const pod = await runningPod(c, ns, 'vault');
  const node = pod.spec.nodeName as string;
  kubectl(state.kubeconfig, ['patch', 'statefulset', 'vault', '-n', ns, '--type=json', '-p', '[{"op":"remove","path":"/spec/template/spec/affinity"}]']);
  log(`story9: vault-0 runs on ${node}; cutting its kubelet off the API server (it keeps answering)`);
  await kubeletCutOff(state, node);
  await nodeIs(c, node, 'Unknown');
  await waitFor('vault-0 evicted by the taint manager', async () => !!(await c.get<Raw>(`/api/v1/namespaces/${ns}/pods/vault-0`))?.metadata?.deletionTimestamp, 120_000);
  await waitFor(`the kubelet of ${node} answering through the node proxy`, async () => (await c.request<string>(`/api/v1/nodes/${node}/proxy/healthz`, { raw: true })) === 'ok', 30_000);
  return { namespace: ns, facts: { node, pod: 'vault-0', pv: 'pv-story9', uid: pod.metadata.uid }, undo: () => nodeBack(state, c, node) };
}

const STORY10 = { namespace: 'story10', pod: 'reports', volume: 'data', pv: 'pv-story10-nfs', plugin: 'kubernetes.io/nfs' };
const story10Node = (state: ClusterState) => state.nodes[1] ?? state.nodes[0];

function story10Facts(node: string, uid: string): Record<string, string> {
  const { pod, volume, pv, plugin } = STORY10;
  return { node, pod, uid, volume, pv, plugin, uniqueName: uniqueVolumeName(uid, plugin, pv), path: volumePath(uid, plugin, pv) };
}

async function undoStory10(state: ClusterState, c: KubeClient, node: string): Promise<void> {
  setOrphanedPods(state, node, []);
  setLogQuery(state, node, false);
  await nodeBack(state, c, node);
}

/**
 * Story 10, NFS after a kubelet outage, first moment: a pod on an NFS volume; its kubelet is cut off and silent;
 * the operator force-deletes the pod through the API. The kubelet answers again but still cannot reach the API
 * server (the node stays Unknown), so it never learned of the deletion: it still runs the pod and lists it in
 * /pods, its volume is wanted and mounted (volume_manager_total_volumes desired 1, actual 1), nothing is orphaned
 * (kubelet_orphan_pod_cleaned_volumes_errors 0) and its log (query on) has no unmount failure. Nothing in the
 * API shows the pod: NFS is not attachable, so no VolumeAttachment or volumesInUse. reconnectStory10 is the
 * second moment.
 */
async function forceDeletedPodStillMounted(state: ClusterState, c: KubeClient): Promise<ScenarioResult> {
  const { namespace: ns, pod: name, pv } = STORY10;
  namespace(state, ns);
  const node = story10Node(state);
  await nodeSettled(c, node);
  apply(state.kubeconfig, [
    {
      apiVersion: 'v1', kind: 'PersistentVolume', metadata: { name: pv },
      spec: {
        capacity: { storage: '1Gi' }, accessModes: ['ReadWriteMany'], persistentVolumeReclaimPolicy: 'Retain', storageClassName: '',
        nfs: { server: 'nfs.storage.example', path: '/exports/reports' }, claimRef: { namespace: ns, name: 'reports-nfs' },
      },
    },
    {
      apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'reports-nfs', namespace: ns },
      spec: { accessModes: ['ReadWriteMany'], storageClassName: '', volumeName: pv, resources: { requests: { storage: '1Gi' } } },
    },
    pod(ns, name, name, 'reports-nfs', { nodeSelector: { 'kubernetes.io/hostname': node } }),
  ]);
  const running = await runningPod(c, ns, name);
  const uid = running.metadata.uid as string;
  // The kubelet mounted the volume before it started the containers: wait until its own view has the pod running
  // (the agent writes it a tick after the status), or the frozen view would be of a pod still mounting.
  await waitFor(`the kubelet of ${node} running ${name}`, async () => (await kubeletPods(c, node)).some((p) => p.metadata.uid === uid && p.status?.phase === 'Running'), 30_000);
  log(`story10: ${name} (${uid}) runs on ${node} on NFS; its kubelet loses the API server, then stops answering`);
  await kubeletCutOff(state, node);
  await kubeletSilent(state, node);
  await nodeIs(c, node, 'Unknown');
  log(`story10: ${node} is Unknown; force-deleting ${name} as an operator would`);
  kubectl(state.kubeconfig, ['delete', 'pod', name, '-n', ns, '--grace-period=0', '--force']);
  setLogQuery(state, node, true);
  await kubeletAnswers(state, node);
  await waitFor(`the kubelet of ${node} listing ${name} through the node proxy`, async () => (await kubeletPods(c, node)).some((p) => p.metadata.uid === uid), 30_000);
  return { namespace: ns, facts: story10Facts(node, uid), undo: () => undoStory10(state, c, node) };
}

/**
 * Story 10, second moment: the kubelet reaches the API server again (node-up). It learns that the pod is gone,
 * stops its containers and drops it from /pods, but cannot unmount the NFS volume (the mount is busy): the
 * volume stays in the actual state of world only, the housekeeping sweep counts the pod in
 * kubelet_orphan_pod_cleaned_volumes_errors, and the volume manager logs "UnmountVolume.TearDown failed" at
 * each retry. Without `story` (the CLI), the facts come from the kubelet's own /pods, which must still list the pod.
 */
export async function reconnectStory10(state: ClusterState, c: KubeClient, story?: ScenarioResult): Promise<ScenarioResult> {
  const node = story?.facts.node ?? story10Node(state);
  let facts = story?.facts;
  if (!facts) {
    const listed = (await kubeletPods(c, node)).find((p) => p.metadata.namespace === STORY10.namespace && p.metadata.name === STORY10.pod);
    if (!listed) throw new Error(`the kubelet of ${node} does not list ${STORY10.namespace}/${STORY10.pod}: build scenario 10 first`);
    facts = story10Facts(node, listed.metadata.uid);
  }
  const { uid } = facts;
  log(`story10: the kubelet of ${node} reaches the API server again`);
  await nodeBack(state, c, node);
  await waitFor(`the kubelet of ${node} dropping ${STORY10.pod} from its /pods`, async () => !(await kubeletPods(c, node)).some((p) => p.metadata.uid === uid), 30_000);
  log(`story10: it stopped ${STORY10.pod}; the unmount of ${facts.path} fails (busy)`);
  setOrphanedPods(state, node, [{ uid, pod: `${STORY10.namespace}/${STORY10.pod}`, volumes: [{ plugin: STORY10.plugin, name: STORY10.pv, outer: STORY10.volume }], since: new Date().toISOString() }]);
  setLogQuery(state, node, true);
  return { namespace: STORY10.namespace, facts, undo: story?.undo ?? (() => undoStory10(state, c, node)) };
}

const SCENARIOS: Record<string, (state: ClusterState, c: KubeClient) => Promise<ScenarioResult>> = {
  'deployment-multi-attach': deploymentMultiAttach,
  'statefulset-terminating': statefulSetTerminating,
  'in-use-without-pod': inUseWithoutPod,
  'detach-fails': detachFails,
  'taint-left': taintLeft,
  'longhorn-disk-replaced': longhornDiskReplaced,
  'scheduling-blocked-by-volume': schedulingBlockedByVolume,
  'expansion-stuck': expansionStuck,
  'kubelet-still-answers': kubeletStillAnswers,
  'force-deleted-pod-still-mounted': forceDeletedPodStillMounted,
};

/** Story numbers work too: `scenario 1` (the order of SCENARIO_BY_NUMBER). */
export const SCENARIO_BY_NUMBER = ['deployment-multi-attach', 'statefulset-terminating', 'in-use-without-pod', 'detach-fails', 'taint-left', 'longhorn-disk-replaced', 'scheduling-blocked-by-volume', 'expansion-stuck', 'kubelet-still-answers', 'force-deleted-pod-still-mounted'];

export async function runScenario(state: ClusterState, name: string): Promise<ScenarioResult> {
  const id = /^\d+$/.test(name) ? SCENARIO_BY_NUMBER[Number(name) - 1] : name;
  const build = id ? SCENARIOS[id] : undefined;
  if (!build) throw new Error(`unknown scenario "${name}": ${SCENARIO_BY_NUMBER.map((s, i) => `${i + 1}=${s}`).join(', ')}`);
  log(`building ${id}`);
  return build(state, await client(state.kubeconfig));
}
