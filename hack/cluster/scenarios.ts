// The five stories of CATALOG.md, built with real objects; the real controllers make the stuck state.
// Each scenario lives in its own namespace and waits until the stuck state really exists.
import type { KubeClient } from '../../src/cluster/kube-client.js';
import { ClusterState, SIM_KUBELET_ANNOTATION, TEST_DRIVER } from './state.js';
import { apply, client, kubectl, waitFor } from './kube.js';
import { nodeDown, nodeUp, setAttacher, setInUse } from './controls.js';
import { lh, longhornCrds, LONGHORN_DRIVER, LONGHORN_NS } from './longhorn.js';

/* eslint-disable @typescript-eslint/no-explicit-any */
type Raw = any;
const log = (line: string) => process.stderr.write(`[scenario] ${line}\n`);

export interface ScenarioResult {
  namespace: string;
  /** What a test or a person should look at. */
  facts: Record<string, string>;
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

async function pods(c: KubeClient, ns: string): Promise<Raw[]> {
  return (await c.request<{ items: Raw[] }>(`/api/v1/namespaces/${ns}/pods`)).items;
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
  apply(state.kubeconfig, [...volume(ns, 'data-db-0', 'pv-story2'), {
    apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: { name: 'db', namespace: ns },
    spec: { replicas: 1, serviceName: 'db', selector: { matchLabels: { app: 'db' } }, template: template('db', 'data-db-0') },
  }]);
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
  const pinned = (node: string) => ({ nodeSelector: { 'kubernetes.io/hostname': node } });
  apply(state.kubeconfig, [...volume(ns, 'cache-data', 'pv-story3'), { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'cache-old', namespace: ns, ...template('cache', 'cache-data').metadata }, spec: template('cache', 'cache-data', pinned(first)).spec }]);
  await runningPod(c, ns, 'cache');
  const unique = `kubernetes.io/csi/${TEST_DRIVER}^pv-story3`;
  log(`story3: the kubelet on ${first} keeps ${unique} mounted after its pod is deleted`);
  setInUse(state, first, [unique]);
  kubectl(state.kubeconfig, ['delete', 'pod', 'cache-old', '-n', ns, '--wait=true', '--timeout=90s']);
  apply(state.kubeconfig, [{ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'cache-new', namespace: ns, ...template('cache', 'cache-data').metadata }, spec: template('cache', 'cache-data', pinned(second)).spec }]);
  await waitFor('the Multi-Attach event for cache-new', async () => {
    const events = await c.request<{ items: Raw[] }>(`/api/v1/namespaces/${ns}/events`, { query: { fieldSelector: 'involvedObject.name=cache-new,reason=FailedAttachVolume' } });
    return events.items.length > 0;
  }, 120_000);
  return { namespace: ns, facts: { inUseNode: first, waitingNode: second, waitingPod: 'cache-new', pv: 'pv-story3' } };
}

/** Story 4: a VolumeAttachment stuck deleting because detach fails, while the pod comes back on the same node. */
async function detachFails(state: ClusterState, c: KubeClient): Promise<ScenarioResult> {
  const ns = 'story4';
  namespace(state, ns);
  const node = state.nodes[0];
  apply(state.kubeconfig, [...volume(ns, 'data-ledger-0', 'pv-story4'), {
    apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: { name: 'ledger', namespace: ns },
    spec: { replicas: 1, serviceName: 'ledger', selector: { matchLabels: { app: 'ledger' } }, template: template('ledger', 'data-ledger-0', { nodeSelector: { 'kubernetes.io/hostname': node } }) },
  }]);
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
  return { namespace: ns, facts: { node, volumeAttachment: va.metadata.name, pod: 'ledger-0', pv: 'pv-story4', message } };
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
  apply(state.kubeconfig, [{ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'reports', namespace: ns, ...template('reports', reportsClaim.name).metadata }, spec: template('reports', reportsClaim.name, { nodeSelector: { 'kubernetes.io/hostname': first } }).spec }]);
  await waitFor('the VolumeAttachment of pvc-lh-reports', async () => (await c.request<{ items: Raw[] }>('/apis/storage.k8s.io/v1/volumeattachments')).items.find((v) => v.spec.source?.persistentVolumeName === reports), 60_000);

  // The healthy volume under a StatefulSet pod on the last node; Longhorn's CSI attacher (played here) attaches it.
  const pg = 'pvc-lh-pg';
  const pgClaim = { namespace: ns, name: 'data-pg-0' };
  apply(state.kubeconfig, [
    ...volume(ns, pgClaim.name, pg, LONGHORN_DRIVER),
    lh.volume(pg, last), lh.replica(`${pg}-r-5e6f`, pg, last, diskUuid(last)), lh.replica(`${pg}-r-7a8b`, pg, beforeLast, diskUuid(beforeLast)), lh.engine(`${pg}-e-0`, pg, last),
    {
      apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: { name: 'pg', namespace: ns },
      spec: { replicas: 1, serviceName: 'pg', selector: { matchLabels: { app: 'pg' } }, template: template('pg', pgClaim.name, { nodeSelector: { 'kubernetes.io/hostname': last } }) },
    },
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

export const SCENARIOS: Record<string, (state: ClusterState, c: KubeClient) => Promise<ScenarioResult>> = {
  'deployment-multi-attach': deploymentMultiAttach,
  'statefulset-terminating': statefulSetTerminating,
  'in-use-without-pod': inUseWithoutPod,
  'detach-fails': detachFails,
  'taint-left': taintLeft,
  'longhorn-disk-replaced': longhornDiskReplaced,
};

/** Story numbers from CATALOG.md work too: `scenario 1`. */
export const SCENARIO_BY_NUMBER = ['deployment-multi-attach', 'statefulset-terminating', 'in-use-without-pod', 'detach-fails', 'taint-left', 'longhorn-disk-replaced'];

export async function runScenario(state: ClusterState, name: string): Promise<ScenarioResult> {
  const id = /^\d$/.test(name) ? SCENARIO_BY_NUMBER[Number(name) - 1] : name;
  const build = id ? SCENARIOS[id] : undefined;
  if (!build) throw new Error(`unknown scenario "${name}": ${SCENARIO_BY_NUMBER.map((s, i) => `${i + 1}=${s}`).join(', ')}`);
  log(`building ${id}`);
  return build(state, await client(state.kubeconfig));
}
