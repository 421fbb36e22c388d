// Commands that change what the agent does: node-down/up, the attacher's behaviour, pinned volumesInUse.
import { readControls, writeControls, ClusterState, Controls } from './state.js';
import { startKwok, stopKwok } from './controlplane.js';

function update(state: ClusterState, change: (c: Controls) => void): Controls {
  const c = readControls(state.dir);
  change(c);
  writeControls(state.dir, c);
  return c;
}

/** The node's kwok stops (no more Lease renewals or status), and the agent stops playing its kubelet. */
export async function nodeDown(state: ClusterState, node: string): Promise<void> {
  if (!state.nodes.includes(node)) throw new Error(`no node ${node} in this cluster (${state.nodes.join(', ')})`);
  update(state, (c) => { if (!c.downNodes.includes(node)) c.downNodes.push(node); });
  await stopKwok(state, node);
}

export async function nodeUp(state: ClusterState, node: string): Promise<void> {
  if (!state.nodes.includes(node)) throw new Error(`no node ${node} in this cluster (${state.nodes.join(', ')})`);
  update(state, (c) => { c.downNodes = c.downNodes.filter((n) => n !== node); });
  if (!state.processes.some((p) => p.name === `kwok-${node}`)) await startKwok(state, node);
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
