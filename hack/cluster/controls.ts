// Commands that change what the agent and the simulated kubelets do: node-down/up, a kubelet cut off from the
// API server or silent, the attacher's behaviour, pinned volumesInUse, orphaned volumes, the node log query.
import { readControls, writeControls, ClusterState, Controls, OrphanedPod } from './state.js';
import { startKwok, stopKwok } from './controlplane.js';
import { kubeletRunning, startKubelet, stopKubelet } from './kubelets.js';
import { setMachineOn } from './kubelet-net.js';

function update(state: ClusterState, change: (c: Controls) => void): Controls {
  const c = readControls(state.dir);
  change(c);
  writeControls(state.dir, c);
  return c;
}

function known(state: ClusterState, node: string): void {
  if (!state.nodes.includes(node)) throw new Error(`no node ${node} in this cluster (${state.nodes.join(', ')})`);
}

const without = (list: string[] | undefined, node: string) => (list ?? []).filter((n) => n !== node);

/** The machine is off: its kwok stops (no more Lease renewals or status), the agent stops playing its kubelet, and its kubelet stops answering. */
export async function nodeDown(state: ClusterState, node: string): Promise<void> {
  known(state, node);
  update(state, (c) => { if (!c.downNodes.includes(node)) c.downNodes.push(node); });
  await stopKwok(state, node);
  if (state.kubelets) {
    await stopKubelet(state, node);
    setMachineOn(state, node, false);
  }
}

/** The machine runs and its kubelet reaches the API server again: status, Lease, pod handling and the kubelet's answers. */
export async function nodeUp(state: ClusterState, node: string): Promise<void> {
  known(state, node);
  update(state, (c) => { c.downNodes = without(c.downNodes, node); c.cutOffNodes = without(c.cutOffNodes, node); });
  if (!state.processes.some((p) => p.name === `kwok-${node}`)) await startKwok(state, node);
  if (state.kubelets && !kubeletRunning(state, node)) await startKubelet(state, node);
}

/**
 * The kubelet loses the API server (expired credentials, a hung status loop, a one-way network fault): no status,
 * no Lease, no pod handling, its pod list frozen; but it still runs its pods and answers through the node proxy.
 */
export async function kubeletCutOff(state: ClusterState, node: string): Promise<void> {
  known(state, node);
  update(state, (c) => { c.cutOffNodes = [...without(c.cutOffNodes, node), node]; });
  await stopKwok(state, node);
}

/** The kubelet stops answering (its process is stopped, the machine runs): the node proxy answers 503, connection refused. Nothing else changes. */
export async function kubeletSilent(state: ClusterState, node: string): Promise<void> {
  known(state, node);
  await stopKubelet(state, node);
}

/** The kubelet answers again, with whatever it knew (a cut-off kubelet keeps its frozen pod list). */
export async function kubeletAnswers(state: ClusterState, node: string): Promise<void> {
  known(state, node);
  await startKubelet(state, node);
}

/** Pods whose volumes the node's kubelet fails to clean up (none: clean). Shows in its metrics and its log. */
export function setOrphanedPods(state: ClusterState, node: string, pods: OrphanedPod[]): void {
  known(state, node);
  update(state, (c) => {
    const all = c.orphanedPods ?? {};
    if (pods.length) all[node] = pods;
    else delete all[node];
    c.orphanedPods = all;
  });
}

/** The node's kubelet serves /logs/?query= (the NodeLogQuery gate and enableSystemLogQuery), or the /var/log listing. */
export function setLogQuery(state: ClusterState, node: string, on: boolean): void {
  known(state, node);
  update(state, (c) => { c.logQueryNodes = on ? [...without(c.logQueryNodes, node), node] : without(c.logQueryNodes, node); });
}

export type AttacherMode = 'ok' | 'pause' | 'resume' | 'fail-attach' | 'fail-detach';

export function setAttacher(state: ClusterState, mode: AttacherMode, message?: string): void {
  update(state, (c) => {
    if (mode === 'pause') c.attacherPaused = true;
    if (mode === 'resume') c.attacherPaused = false;
    if (mode === 'ok') { c.attacherPaused = false; delete c.failAttach; delete c.failDetach; }
    if (mode === 'fail-attach') c.failAttach = message ?? 'rpc error: code = Internal desc = attach failed';
    if (mode === 'fail-detach') c.failDetach = message ?? 'rpc error: code = Internal desc = detach failed';
  });
}

/** Keep these unique volume names in the node's volumesInUse, as a kubelet with an orphaned mount does. */
export function setInUse(state: ClusterState, node: string, volumes: string[]): void {
  update(state, (c) => {
    if (volumes.length) c.pinnedInUse[node] = volumes;
    else delete c.pinnedInUse[node];
  });
}
