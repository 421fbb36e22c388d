// Where a running test cluster keeps its facts: <dir>/state.json, next to its kubeconfig.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

export interface ProcessRecord {
  name: string;
  pid: number;
  /** argv[0], to make sure a PID still belongs to the process we started before signalling it. */
  binary: string;
  log: string;
}

export interface ClusterState {
  dir: string;
  kubeconfig: string;
  server: string;
  ports: Record<string, number>;
  nodes: string[];
  processes: ProcessRecord[];
  driver: string;
  binDir: string;
}

/** The test CSI driver the attacher plays. */
export const TEST_DRIVER = 'csi.volume-doctor.test';
/** Pods with this annotation are left alone by kwok; the agent plays their kubelet. */
export const SIM_KUBELET_ANNOTATION = 'kwok.x-k8s.io/status';

export function statePath(dir: string): string {
  return join(dir, 'state.json');
}

export function saveState(state: ClusterState): void {
  writeFileSync(statePath(state.dir), `${JSON.stringify(state, null, 2)}\n`);
}

/** The cluster named by --dir, or the one whose kubeconfig $KUBECONFIG points at. */
export function findCluster(dir?: string): ClusterState {
  const candidate = dir ?? (process.env.KUBECONFIG ? dirname(process.env.KUBECONFIG.split(':')[0]) : undefined);
  if (!candidate || !existsSync(statePath(candidate))) {
    throw new Error('no test cluster found: pass --dir DIR, or export KUBECONFIG=<dir>/kubeconfig as printed by `npm run cluster -- up`');
  }
  return JSON.parse(readFileSync(statePath(candidate), 'utf8')) as ClusterState;
}

/** Controls the agent reads every tick: the attacher's failures and pauses, pinned volumesInUse, down nodes. */
export interface Controls {
  attacherPaused: boolean;
  failAttach?: string;
  failDetach?: string;
  /** node → unique volume names kept in volumesInUse whatever the pods say (a kubelet with an orphaned mount). */
  pinnedInUse: Record<string, string[]>;
  /** Nodes whose kubelet is "dead": no status, no pod handling. */
  downNodes: string[];
}

export function controlsPath(dir: string): string {
  return join(dir, 'controls.json');
}

export function readControls(dir: string): Controls {
  const path = controlsPath(dir);
  if (!existsSync(path)) return { attacherPaused: false, pinnedInUse: {}, downNodes: [] };
  return JSON.parse(readFileSync(path, 'utf8')) as Controls;
}

export function writeControls(dir: string, controls: Controls): void {
  writeFileSync(controlsPath(dir), `${JSON.stringify(controls, null, 2)}\n`);
}
