// up / down / status: etcd, kube-apiserver, kube-controller-manager, kube-scheduler, kwok and the agent,
// all on 127.0.0.1 with free ports, in a directory of their own; and one simulated kubelet per node in a
// network namespace of the cluster's own (kubelet-net.ts), reached by the API server's node proxy.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeCa, makeCert, makeServiceAccountKeys } from './certs.js';
import { isOurs, repoRoot, startDetached, stopProcess } from './processes.js';
import { ClusterState, ProcessRecord, SIM_KUBELET_ANNOTATION, TEST_DRIVER, saveState, writeControls } from './state.js';
import { apply, client, waitFor } from './kube.js';
import { KWOK_NODE_STAGES } from './kwok-stages.js';
import { checkCanCreateNetwork, createKubeletNetwork, removeKubeletNetwork } from './kubelet-net.js';
import { startKubelet } from './kubelets.js';

const REPO = repoRoot();
const log = (line: string) => process.stderr.write(`[cluster] ${line}\n`);

async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', rej);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => res(port));
    });
  });
}

function buildBinaries(): string {
  log('making sure the control plane binaries are built (hack/controlplane/build.sh)');
  const out = execFileSync('bash', [join(REPO, 'hack/controlplane/build.sh')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  return out.trim().split('\n').at(-1)!;
}

function kubeconfigYaml(server: string, ca: string, users: { name: string; cert: string; key: string }[], current: string): string {
  const b64 = (f: string) => readFileSync(f).toString('base64');
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Config',
    'current-context': current,
    clusters: [{ name: 'vd-test', cluster: { server, 'certificate-authority-data': b64(ca) } }],
    users: users.map((u) => ({ name: u.name, user: { 'client-certificate-data': b64(u.cert), 'client-key-data': b64(u.key) } })),
    contexts: users.map((u) => ({ name: u.name, context: { cluster: 'vd-test', user: u.name, namespace: 'default' } })),
  }, null, 2);
}

const AUDIT_POLICY = `apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: ["RequestReceived"]
rules:
- level: Metadata
  userGroups: ["system:masters", "volume-doctor:readers"]
- level: None
`;

/** The limited user reads everything volume-doctor reads except VolumeAttachments. */
function limitedRbac(): unknown[] {
  return [
    {
      apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: 'volume-doctor-reader-without-attachments' },
      rules: [
        { apiGroups: [''], resources: ['nodes', 'pods', 'persistentvolumeclaims', 'persistentvolumes', 'events', 'namespaces'], verbs: ['get', 'list'] },
        { apiGroups: ['storage.k8s.io'], resources: ['csinodes', 'csidrivers', 'storageclasses'], verbs: ['get', 'list'] },
        { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['get', 'list'] },
        { apiGroups: ['longhorn.io'], resources: ['volumes', 'replicas', 'engines', 'nodes', 'settings', 'volumeattachments'], verbs: ['get', 'list'] },
      ],
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata: { name: 'volume-doctor-reader-without-attachments' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'volume-doctor-reader-without-attachments' },
      subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: 'volume-doctor:readers' }],
    },
  ];
}

function nodeManifests(names: string[]): unknown[] {
  return names.flatMap((name) => [
    {
      apiVersion: 'v1', kind: 'Node',
      metadata: {
        name,
        annotations: { 'node.alpha.kubernetes.io/ttl': '0', 'volumes.kubernetes.io/controller-managed-attach-detach': 'true' },
        labels: { 'kubernetes.io/hostname': name, 'kubernetes.io/os': 'linux', 'kubernetes.io/arch': 'amd64', type: 'kwok' },
      },
      spec: {},
    },
    { apiVersion: 'storage.k8s.io/v1', kind: 'CSINode', metadata: { name }, spec: { drivers: [{ name: TEST_DRIVER, nodeID: name, topologyKeys: null }] } },
  ]);
}

export interface UpOptions {
  /**
   * false: etcd and kube-apiserver only (no controller manager, scheduler, kwok or agent), so no component but the
   * caller writes objects; nodes are created without status and nothing waits for them to be Ready.
   */
  controllers?: boolean;
}

export async function up(nodeCount: number, options: UpOptions = {}): Promise<ClusterState> {
  const controllers = options.controllers ?? true;
  // The simulated kubelets (and their network namespace) come with the controllers; etcd + kube-apiserver need neither.
  if (controllers) checkCanCreateNetwork();
  const binDir = buildBinaries();
  const dir = mkdtempSync(join(tmpdir(), 'vd-cluster-'));
  const pki = join(dir, 'pki');
  mkdirSync(pki);
  const ports = { etcd: await freePort(), etcdPeer: await freePort(), apiserver: await freePort(), controllerManager: await freePort(), scheduler: await freePort() };
  log(`directory ${dir}, ports ${JSON.stringify(ports)}`);

  makeCa(pki);
  const serving = makeCert(pki, 'apiserver', '/CN=kube-apiserver', 'IP:127.0.0.1,DNS:localhost');
  const admin = makeCert(pki, 'admin', '/O=system:masters/CN=volume-doctor-admin');
  const kcm = makeCert(pki, 'controller-manager', '/CN=system:kube-controller-manager');
  const scheduler = makeCert(pki, 'scheduler', '/CN=system:kube-scheduler');
  const limited = makeCert(pki, 'limited', '/O=volume-doctor:readers/CN=limited');
  const sa = makeServiceAccountKeys(pki);
  const ca = join(pki, 'ca.crt');
  const server = `https://127.0.0.1:${ports.apiserver}`;
  const kubeconfig = join(dir, 'kubeconfig');
  writeFileSync(kubeconfig, kubeconfigYaml(server, ca, [{ name: 'admin', ...admin }, { name: 'limited', ...limited }], 'admin'));
  writeFileSync(join(dir, 'controller-manager.kubeconfig'), kubeconfigYaml(server, ca, [{ name: 'kcm', ...kcm }], 'kcm'));
  writeFileSync(join(dir, 'scheduler.kubeconfig'), kubeconfigYaml(server, ca, [{ name: 'scheduler', ...scheduler }], 'scheduler'));
  writeFileSync(join(dir, 'audit-policy.yaml'), AUDIT_POLICY);

  const state: ClusterState = { dir, kubeconfig, server, ports, nodes: [], processes: [], driver: TEST_DRIVER, binDir };
  const start = (name: string, args: string[]) => {
    const p = startDetached(name, join(binDir, name), args, join(dir, `${name}.log`));
    state.processes.push(p);
    saveState(state);
    return p;
  };
  writeControls(dir, { attacherPaused: false, pinnedInUse: {}, downNodes: [] });
  state.nodes = Array.from({ length: nodeCount }, (_, i) => `node-${i + 1}`);
  saveState(state);

  try {
    if (controllers) {
      createKubeletNetwork(state);
      log(`kubelets in network namespace ${state.network!.netns} (${state.network!.subnet}, host end ${state.network!.hostLink})`);
    }
    start('etcd', [
      '--name', 'vd', '--data-dir', join(dir, 'etcd'),
      '--listen-client-urls', `http://127.0.0.1:${ports.etcd}`, '--advertise-client-urls', `http://127.0.0.1:${ports.etcd}`,
      '--listen-peer-urls', `http://127.0.0.1:${ports.etcdPeer}`, '--initial-advertise-peer-urls', `http://127.0.0.1:${ports.etcdPeer}`,
      '--initial-cluster', `vd=http://127.0.0.1:${ports.etcdPeer}`, '--quota-backend-bytes', '1073741824', '--log-level', 'warn',
    ]);
    start('kube-apiserver', [
      `--etcd-servers=http://127.0.0.1:${ports.etcd}`, '--bind-address=127.0.0.1', '--advertise-address=127.0.0.1', `--secure-port=${ports.apiserver}`,
      `--tls-cert-file=${serving.cert}`, `--tls-private-key-file=${serving.key}`, `--client-ca-file=${ca}`,
      '--authorization-mode=Node,RBAC', '--service-cluster-ip-range=10.96.0.0/16', '--allow-privileged=true',
      '--service-account-issuer=https://kubernetes.default.svc.cluster.local', `--service-account-key-file=${sa.pub}`, `--service-account-signing-key-file=${sa.key}`,
      `--audit-policy-file=${join(dir, 'audit-policy.yaml')}`, `--audit-log-path=${join(dir, 'audit.log')}`,
      '--enable-priority-and-fairness=false', '--event-ttl=1h', '--v=1',
      // The node proxy dials the node's InternalIP (the simulated kubelet), not its Hostname (the node name, not in DNS).
      '--kubelet-preferred-address-types=InternalIP',
    ]);
    const admin0 = await client(kubeconfig);
    await waitFor('kube-apiserver /readyz', async () => (await admin0.request<string>('/readyz', { raw: true })) === 'ok', 120_000, 1000);
    log('kube-apiserver is ready');
    if (controllers) start('kube-controller-manager', [
      `--kubeconfig=${join(dir, 'controller-manager.kubeconfig')}`, `--authentication-kubeconfig=${join(dir, 'controller-manager.kubeconfig')}`,
      `--authorization-kubeconfig=${join(dir, 'controller-manager.kubeconfig')}`, '--bind-address=127.0.0.1', `--secure-port=${ports.controllerManager}`,
      '--leader-elect=false', '--controllers=*', '--use-service-account-credentials=true', `--service-account-private-key-file=${sa.key}`, `--root-ca-file=${ca}`,
      // Fast node failure detection, and no silent 6-minute force detach: stuck volumes stay stuck until fixed.
      '--node-monitor-grace-period=20s', '--node-monitor-period=2s', '--disable-force-detach-on-timeout=true',
      '--attach-detach-reconcile-sync-period=5s', '--v=2',
    ]);
    if (controllers) start('kube-scheduler', [
      `--kubeconfig=${join(dir, 'scheduler.kubeconfig')}`, `--authentication-kubeconfig=${join(dir, 'scheduler.kubeconfig')}`,
      `--authorization-kubeconfig=${join(dir, 'scheduler.kubeconfig')}`, '--bind-address=127.0.0.1', `--secure-port=${ports.scheduler}`, '--leader-elect=false',
    ]);
    apply(kubeconfig, limitedRbac());
    apply(kubeconfig, [
      { apiVersion: 'storage.k8s.io/v1', kind: 'CSIDriver', metadata: { name: TEST_DRIVER }, spec: { attachRequired: true, podInfoOnMount: false } },
      ...nodeManifests(state.nodes),
    ]);
    saveState(state);
    if (!controllers) return state;
    for (const node of state.nodes) await startKwok(state, node);
    for (const node of state.nodes) await startKubelet(state, node);
    const agent = startDetached('agent', process.execPath, [join(REPO, 'dist/hack/cluster/agent.js'), dir], join(dir, 'agent.log'));
    state.processes.push({ ...agent, binary: process.execPath });
    saveState(state);
    await waitFor(`${nodeCount} Ready nodes`, async () => {
      const nodes = await admin0.request<{ items: { status?: { conditions?: { type: string; status: string }[] } }[] }>('/api/v1/nodes');
      return nodes.items.filter((n) => n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')).length === nodeCount;
    }, 120_000);
    await waitFor('the default service account', async () => !!(await admin0.get('/api/v1/namespaces/default/serviceaccounts/default')), 60_000);
    log(`${nodeCount} nodes Ready`);
    return state;
  } catch (err) {
    log(`start failed: ${(err as Error).message}; stopping what was started (logs in ${dir})`);
    await down(state);
    throw err;
  }
}

/**
 * One kwok per node, each managing a single node, so a node can die alone: stopping its kwok stops its
 * heartbeats (Lease and status) exactly as a dead kubelet would. (kwok keeps managing a node whose selector
 * annotation is removed, so selectors cannot take a node down.)
 */
export async function startKwok(state: ClusterState, node: string): Promise<void> {
  const name = `kwok-${node}`;
  const stages = join(state.dir, 'kwok-stages.yaml');
  writeFileSync(stages, KWOK_NODE_STAGES);
  const kubelet = state.kubelets?.[node];
  // --node-ip and --node-port only fill the node's InternalIP and daemonEndpoints (the simulated kubelet's address);
  // kwok's own server stays on 127.0.0.1 (--server-address).
  const args = [
    `--kubeconfig=${state.kubeconfig}`, `--config=${stages}`, '--manage-all-nodes=false', `--manage-single-node=${node}`,
    `--disregard-status-with-annotation-selector=${SIM_KUBELET_ANNOTATION}=custom`, '--cidr=10.0.0.1/24', `--node-ip=${kubelet?.ip ?? '10.0.0.1'}`,
    ...(kubelet ? [`--node-port=${kubelet.port}`] : []),
    '--node-lease-duration-seconds=40', `--server-address=127.0.0.1:${await freePort()}`,
  ];
  const p = startDetached(name, join(state.binDir, 'kwok'), args, join(state.dir, `${name}.log`));
  state.processes.push(p);
  saveState(state);
}

export async function stopKwok(state: ClusterState, node: string): Promise<void> {
  const name = `kwok-${node}`;
  for (const p of state.processes.filter((x) => x.name === name)) await stopProcess(p);
  state.processes = state.processes.filter((x) => x.name !== name);
  saveState(state);
}

/**
 * Stops the cluster's kube-apiserver and returns a function that starts it again with the same arguments and
 * waits until it is ready, so a test of an unreachable server does not take the cluster from the tests after it.
 */
export async function stopApiServer(state: ClusterState): Promise<() => Promise<void>> {
  const old = state.processes.find((p) => p.name === 'kube-apiserver');
  if (!old || !isOurs(old)) throw new Error(`kube-apiserver of ${state.dir} is not running`);
  const args = readFileSync(`/proc/${old.pid}/cmdline`, 'utf8').split('\0').slice(1, -1);
  await stopProcess(old);
  return async () => {
    const started = startDetached(old.name, old.binary, args, old.log);
    state.processes = state.processes.map((p) => (p === old ? started : p));
    saveState(state);
    const admin = await client(state.kubeconfig);
    await waitFor('kube-apiserver /readyz after a restart', async () => (await admin.request<string>('/readyz', { raw: true }).catch(() => '')) === 'ok', 120_000, 1000);
  };
}

export async function down(state: ClusterState): Promise<void> {
  for (const p of [...state.processes].reverse()) await stopProcess(p);
  log(`stopped ${state.processes.length} processes of ${state.dir}`);
  if (state.network) {
    removeKubeletNetwork(state);
    log(`removed network namespace ${state.network.netns} and link ${state.network.hostLink}`);
  }
}

export function status(state: ClusterState): { name: string; pid: number; running: boolean }[] {
  return state.processes.map((p: ProcessRecord) => ({ name: p.name, pid: p.pid, running: isOurs(p) }));
}
