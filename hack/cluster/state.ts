// Where a running test cluster keeps its facts: <dir>/state.json, next to its kubeconfig.
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
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
  /** Where the simulated kubelets live; recorded before anything is created, so `down` can remove it after a crash. */
  network?: KubeletNetwork;
  /** node → the address its kubelet listens on (the node's InternalIP) and port. */
  kubelets?: Record<string, { ip: string; port: number }>;
}

/** A network namespace named after the cluster and a veth pair: the host end, and the namespace end carrying the node addresses. */
export interface KubeletNetwork {
  netns: string;
  hostLink: string;
  nsLink: string;
  /** e.g. 10.231.7.0/24: the host end is .1, node i is .(10+i). */
  subnet: string;
  hostIp: string;
}

/** A pod the kubelet no longer has in the API but whose volumes it cannot remove (still mounted on the node). */
export interface OrphanedPod {
  uid: string;
  /** The pod's name, for people reading controls.json; the kubelet itself only knows the uid on disk. */
  pod?: string;
  /**
   * plugin as the volume manager's metrics name it (kubernetes.io/nfs, kubernetes.io/csi:DRIVER), the volume
   * directory name (the PV name, or the pod's volume name), and the pod's own name for the volume (default: name).
   */
  volumes: { plugin: string; name: string; outer?: string }[];
  /** When its kubelet started failing to unmount them. */
  since: string;
}

/** The test CSI driver the attacher plays. */
export const TEST_DRIVER = 'csi.volume-doctor.test';
/** Pods with this annotation are left alone by kwok; the agent plays their kubelet. */
export const SIM_KUBELET_ANNOTATION = 'kwok.x-k8s.io/status';

function statePath(dir: string): string {
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
  /** Nodes whose machine is off: no status, no pod handling, no kubelet answering. */
  downNodes: string[];
  /** Nodes whose kubelet lost the API server (no status, no Lease, no pod handling) but still runs and answers. */
  cutOffNodes?: string[];
  /** Nodes whose kubelet serves /logs/?query= (the NodeLogQuery gate and enableSystemLogQuery on). */
  logQueryNodes?: string[];
  /** node → pods whose volume directories the kubelet fails to clean up. */
  orphanedPods?: Record<string, OrphanedPod[]>;
}

function controlsPath(dir: string): string {
  return join(dir, 'controls.json');
}

export function readControls(dir: string): Controls {
  const path = controlsPath(dir);
  if (!existsSync(path)) return { attacherPaused: false, pinnedInUse: {}, downNodes: [] };
  return JSON.parse(readFileSync(path, 'utf8')) as Controls;
}

/** Atomic (write, then rename), because the agent and the simulated kubelets read it at any moment. */
export function writeControls(dir: string, controls: Controls): void {
  const path = controlsPath(dir);
  writeFileSync(`${path}.tmp`, `${JSON.stringify(controls, null, 2)}\n`);
  renameSync(`${path}.tmp`, path);
}
