// The simulated kubelets: one process per node (sim-kubelet.ts), started inside the cluster's network
// namespace with `ip netns exec`, and what they serve. They cannot reach the API server (127.0.0.1 of the host),
// so the agent writes each connected node's view (its pods and their volumes) to <dir>/kubelets/NODE.json.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { dirname, join } from 'node:path';
import { isOurs, repoRoot, startDetached, stopProcess } from './processes.js';
import { ClusterState, saveState } from './state.js';
import { setMachineOn } from './kubelet-net.js';

 
type Raw = any;

/** A volume the kubelet's volume manager has for a pod: desired while the pod is in its list, mounted once it runs. */
export interface ViewVolume {
  podUid: string;
  /** the volume directory name under /var/lib/kubelet/pods/UID/volumes/PLUGIN~DIR/ (the PV name, or the pod's volume name) */
  name: string;
  /** as the volume manager's metrics name it: kubernetes.io/nfs, kubernetes.io/csi:DRIVER, kubernetes.io/empty-dir ... */
  plugin: string;
  mounted: boolean;
}

export interface KubeletView {
  node: string;
  /** When the agent last saw the API for this node; a cut-off kubelet's view stops changing. */
  updated: string;
  /** The pods bound to the node, as the API server gave them. */
  pods: Raw[];
  volumes: ViewVolume[];
}

const kubeletName = (node: string) => `kubelet-${node}`;

function viewPath(dir: string, node: string): string {
  return join(dir, 'kubelets', `${node}.json`);
}

export function writeView(dir: string, view: KubeletView): void {
  const path = viewPath(dir, view.node);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(`${path}.tmp`, JSON.stringify(view));
  renameSync(`${path}.tmp`, path);
}

export function readView(dir: string, node: string): KubeletView {
  const path = viewPath(dir, node);
  if (!existsSync(path)) return { node, updated: '', pods: [], volumes: [] };
  return JSON.parse(readFileSync(path, 'utf8')) as KubeletView;
}

/** A self-signed serving certificate per node, as a kubelet without --tls-cert-file makes one for itself. */
function servingCert(state: ClusterState, node: string, address: string): { cert: string; key: string } {
  const pki = join(state.dir, 'pki');
  const cert = join(pki, `kubelet-${node}.crt`);
  const key = join(pki, `kubelet-${node}.key`);
  if (!existsSync(cert)) {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', cert,
      '-days', '30', '-subj', `/CN=${node}@${Math.floor(Date.now() / 1000)}`, '-addext', `subjectAltName=IP:${address},DNS:${node}`], { stdio: ['ignore', 'ignore', 'pipe'] });
  }
  return { cert, key };
}

/** The built kubelet (npm run build), whether this module runs from source (vitest) or from dist. */
function script(): string {
  return join(repoRoot(), 'dist/hack/cluster/sim-kubelet.js');
}

/** GET https://ADDRESS:PORT/healthz from the host, certificate unchecked (as the API server does here). */
function probeKubelet(address: string, port: number, timeoutMs = 2000): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ host: address, port, path: '/healthz', method: 'GET', rejectUnauthorized: false, timeout: timeoutMs }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', () => resolve(false));
    req.end();
  });
}

export function kubeletRunning(state: ClusterState, node: string): boolean {
  return state.processes.some((p) => p.name === kubeletName(node) && isOurs(p));
}

/** Starts the node's kubelet in the namespace and waits until the host reaches it. */
export async function startKubelet(state: ClusterState, node: string): Promise<void> {
  const at = state.kubelets?.[node];
  if (!state.network || !at) throw new Error(`no kubelet address for ${node} in ${state.dir}`);
  // A kubelet runs on a machine that is on: its address answers (node-down took it away).
  setMachineOn(state, node, true);
  if (kubeletRunning(state, node)) return;
  state.processes = state.processes.filter((p) => p.name !== kubeletName(node));
  const { cert, key } = servingCert(state, node, at.ip);
  const started = startDetached(kubeletName(node), 'ip', ['netns', 'exec', state.network.netns, process.execPath, script(), state.dir, node, at.ip, String(at.port), cert, key],
    join(state.dir, `${kubeletName(node)}.log`));
  // `ip netns exec` execs node in place: the PID stays, argv[0] becomes node's path.
  const record = { ...started, binary: process.execPath };
  state.processes.push(record);
  saveState(state);
  const deadline = Date.now() + 20_000;
  while (!(await probeKubelet(at.ip, at.port))) {
    if (Date.now() > deadline) throw new Error(`the simulated kubelet of ${node} does not answer on https://${at.ip}:${at.port}/healthz (log: ${record.log})`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

export async function stopKubelet(state: ClusterState, node: string): Promise<void> {
  for (const p of state.processes.filter((x) => x.name === kubeletName(node))) await stopProcess(p);
  state.processes = state.processes.filter((x) => x.name !== kubeletName(node));
  saveState(state);
}

/** How the kubelet's volume manager names a volume's plugin in its metrics (GetFullQualifiedPluginNameForVolume). */
export function pluginOf(volume: Raw, pv: Raw | undefined): string | undefined {
  const src = pv?.spec ?? volume;
  if (src.csi) return `kubernetes.io/csi:${src.csi.driver}`;
  if (src.nfs) return 'kubernetes.io/nfs';
  if (src.hostPath) return 'kubernetes.io/host-path';
  if (src.local) return 'kubernetes.io/local-volume';
  if (pv) return undefined;
  if (volume.emptyDir) return 'kubernetes.io/empty-dir';
  if (volume.configMap) return 'kubernetes.io/configmap';
  if (volume.secret) return 'kubernetes.io/secret';
  if (volume.projected) return 'kubernetes.io/projected';
  if (volume.downwardAPI) return 'kubernetes.io/downward-api';
  return undefined;
}

/** A volume's directory under the pod's: /var/lib/kubelet/pods/UID/volumes/kubernetes.io~nfs/NAME (for NFS, the mount point itself). */
export function volumePath(uid: string, plugin: string, name: string): string {
  return `/var/lib/kubelet/pods/${uid}/volumes/${plugin.replace(/:.*$/, '').replace('/', '~')}/${name}`;
}

/**
 * The volume manager's unique name of a pod's volume: DRIVER^HANDLE for an attachable CSI volume (the test
 * volumes' handle is their PV name), PLUGIN/PODUID-SPECNAME for the others (GetUniqueVolumeNameFromSpecWithPod).
 */
export function uniqueVolumeName(uid: string, plugin: string, name: string): string {
  const csi = /^kubernetes\.io\/csi:(.+)$/.exec(plugin);
  return csi ? `kubernetes.io/csi/${csi[1]}^${name}` : `${plugin}/${uid}-${name}`;
}

/**
 * Why UnmountVolume.TearDown fails for a volume that is still busy, as the plugin returns it: mount-utils'
 * "unmount failed" error (with its newlines: the journal shows each line as an entry of its own), for NFS
 * straight from the in-tree plugin, for CSI inside the driver's NodeUnpublishVolume answer.
 */
export function teardownError(uid: string, plugin: string, name: string): string {
  const dir = volumePath(uid, plugin, name);
  if (plugin.startsWith('kubernetes.io/csi')) {
    const target = `${dir}/mount`;
    return `kubernetes.io/csi: Unmounter.TearDownAt failed: rpc error: code = Internal desc = unmount failed: exit status 32\nUnmounting arguments: ${target}\nOutput: umount: ${target}: target is busy.\n`;
  }
  if (plugin === 'kubernetes.io/nfs') return `unmount failed: exit status 16\nUnmounting arguments: ${dir}\nOutput: umount.nfs: ${dir}: device is busy\n`;
  return `unmount failed: exit status 32\nUnmounting arguments: ${dir}\nOutput: umount: ${dir}: target is busy.\n`;
}
