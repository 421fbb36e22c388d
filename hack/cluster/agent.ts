// The test cluster's stand-ins for what kwok does not simulate, in one background process:
// - the CSI external-attacher of the test driver: marks VolumeAttachments attached, removes its finalizer on
//   delete, and can be paused or made to fail attach or detach (controls.json);
// - the kubelet's volume manager for pods kwok leaves alone: it reports the node's volumesInUse, keeps a pod in
//   ContainerCreating until its volumes are in the node's volumesAttached, and finishes pod deletions, but only
//   on nodes that are up: a "down" or "cut off" node's kubelet does nothing at all;
// - the simulated kubelets' link to the API server: each connected node's pods and volumes, written to
//   <dir>/kubelets/NODE.json for its kubelet to serve (a cut-off kubelet keeps serving the last one).
import { readControls, SIM_KUBELET_ANNOTATION, TEST_DRIVER, findCluster } from './state.js';
import { client } from './kube.js';
import { pluginOf, writeView, ViewVolume } from './kubelets.js';
import type { KubeClient } from '../../src/cluster/kube-client.js';

 
type Raw = any;

const FINALIZER = `external-attacher/${TEST_DRIVER.replace(/[^a-zA-Z0-9-]/g, '-')}`;
const merge = 'application/merge-patch+json';
const now = () => new Date().toISOString().replace(/\.\d+Z$/, 'Z');
const log = (line: string) => process.stdout.write(`${now()} ${line}\n`);

async function list(c: KubeClient, path: string): Promise<Raw[]> {
  return (await c.request<{ items: Raw[] }>(path)).items ?? [];
}

async function patch(c: KubeClient, path: string, body: unknown): Promise<void> {
  await c.request(path, { method: 'PATCH', body, contentType: merge });
}

async function attacher(c: KubeClient, vas: Raw[], controls: ReturnType<typeof readControls>): Promise<void> {
  for (const va of vas.filter((v) => v.spec?.attacher === TEST_DRIVER)) {
    const path = `/apis/storage.k8s.io/v1/volumeattachments/${va.metadata.name}`;
    const finalizers: string[] = va.metadata.finalizers ?? [];
    if (va.metadata.deletionTimestamp) {
      if (controls.attacherPaused || !finalizers.includes(FINALIZER)) continue;
      if (controls.failDetach) {
        if (va.status?.detachError?.message !== controls.failDetach) {
          await patch(c, `${path}/status`, { status: { detachError: { time: now(), message: controls.failDetach } } });
          log(`detach of ${va.metadata.name} fails: ${controls.failDetach}`);
        }
        continue;
      }
      await patch(c, path, { metadata: { finalizers: finalizers.filter((f) => f !== FINALIZER), resourceVersion: va.metadata.resourceVersion } });
      log(`detached ${va.metadata.name} from ${va.spec.nodeName}`);
      continue;
    }
    if (!finalizers.includes(FINALIZER)) {
      await patch(c, path, { metadata: { finalizers: [...finalizers, FINALIZER], resourceVersion: va.metadata.resourceVersion } });
      continue;
    }
    if (controls.attacherPaused) continue;
    if (controls.failAttach) {
      if (va.status?.attachError?.message !== controls.failAttach || va.status?.attached) {
        await patch(c, `${path}/status`, { status: { attached: false, attachError: { time: now(), message: controls.failAttach } } });
        log(`attach of ${va.metadata.name} fails: ${controls.failAttach}`);
      }
      continue;
    }
    if (!va.status?.attached) {
      await patch(c, `${path}/status`, { status: { attached: true, attachmentMetadata: {}, attachError: null } });
      log(`attached ${va.metadata.name} to ${va.spec.nodeName}`);
    }
  }
}

function podStatus(pod: Raw, running: boolean, hostIP: string): Raw {
  const t = pod.status?.startTime ?? now();
  const cond = (type: string, ok: boolean, reason?: string) => ({ type, status: ok ? 'True' : 'False', lastTransitionTime: now(), ...(reason ? { reason } : {}) });
  return {
    phase: running ? 'Running' : 'Pending',
    hostIP,
    ...(running ? { podIP: '10.0.0.2', podIPs: [{ ip: '10.0.0.2' }] } : {}),
    startTime: t,
    conditions: [cond('PodScheduled', true), cond('Initialized', true), cond('ContainersReady', running, running ? undefined : 'ContainersNotReady'), cond('Ready', running, running ? undefined : 'ContainersNotReady')],
    containerStatuses: (pod.spec.containers ?? []).map((ct: Raw) => ({
      name: ct.name, image: ct.image, imageID: '', ready: running, started: running, restartCount: 0,
      ...(running ? { containerID: `containerd://${pod.metadata.uid}-${ct.name}` } : {}),
      state: running ? { running: { startedAt: now() } } : { waiting: { reason: 'ContainerCreating' } },
    })),
  };
}

async function kubelet(c: KubeClient, nodes: Raw[], pods: Raw[], pvcs: Raw[], pvs: Raw[], controls: ReturnType<typeof readControls>): Promise<void> {
  const pvByName = new Map(pvs.map((p) => [p.metadata.name, p]));
  const pvcByKey = new Map(pvcs.map((p) => [`${p.metadata.namespace}/${p.metadata.name}`, p]));
  const uniqueNamesOf = (pod: Raw): string[] => (pod.spec.volumes ?? []).flatMap((v: Raw) => {
    const claim = v.persistentVolumeClaim?.claimName;
    const pvc = claim && pvcByKey.get(`${pod.metadata.namespace}/${claim}`);
    const pv = pvc?.spec?.volumeName && pvByName.get(pvc.spec.volumeName);
    // Every CSI driver of this cluster requires attach (the test driver, and Longhorn's in the Longhorn story).
    return pv?.spec?.csi ? [`kubernetes.io/csi/${pv.spec.csi.driver}^${pv.spec.csi.volumeHandle}`] : [];
  });
  for (const node of nodes) {
    const name = node.metadata.name;
    if (controls.downNodes.includes(name) || (controls.cutOffNodes ?? []).includes(name)) continue;
    const hostIP = node.status?.addresses?.find((a: Raw) => a.type === 'InternalIP')?.address ?? '10.0.0.1';
    const attached = new Set<string>((node.status?.volumesAttached ?? []).map((v: Raw) => v.name));
    const here = pods.filter((p) => p.spec?.nodeName === name && p.metadata.annotations?.[SIM_KUBELET_ANNOTATION] === 'custom');
    const inUse = new Set<string>(controls.pinnedInUse[name] ?? []);
    for (const pod of here) {
      const path = `/api/v1/namespaces/${pod.metadata.namespace}/pods/${pod.metadata.name}`;
      if (pod.metadata.deletionTimestamp) {
        // The kubelet stopped the containers and unmounted the volumes: it confirms the deletion.
        await c.request(path, { method: 'DELETE', body: { gracePeriodSeconds: 0, preconditions: { uid: pod.metadata.uid } } }).catch(() => undefined);
        log(`kubelet on ${name} finished deleting ${pod.metadata.namespace}/${pod.metadata.name}`);
        continue;
      }
      const needs = uniqueNamesOf(pod);
      needs.forEach((n) => inUse.add(n));
      const ready = needs.every((n) => attached.has(n));
      const isRunning = pod.status?.phase === 'Running';
      const isCreating = pod.status?.containerStatuses?.[0]?.state?.waiting?.reason === 'ContainerCreating';
      if (ready && !isRunning) {
        await patch(c, `${path}/status`, { status: podStatus(pod, true, hostIP) });
        log(`pod ${pod.metadata.namespace}/${pod.metadata.name} runs on ${name}`);
      } else if (!ready && !isCreating && !isRunning) {
        await patch(c, `${path}/status`, { status: podStatus(pod, false, hostIP) });
      }
    }
    const want = [...inUse].sort();
    const have = [...(node.status?.volumesInUse ?? [])].sort();
    if (JSON.stringify(want) !== JSON.stringify(have)) {
      await patch(c, `/api/v1/nodes/${name}/status`, { status: { volumesInUse: want } });
      log(`node ${name} volumesInUse = [${want.join(', ')}]`);
    }
  }
}

/** What each connected node's kubelet knows: the pods bound to it, and their volumes (mounted once the pod runs). */
function kubeletViews(dir: string, nodes: Raw[], pods: Raw[], pvcs: Raw[], pvs: Raw[], controls: ReturnType<typeof readControls>): void {
  const pvByName = new Map(pvs.map((p) => [p.metadata.name, p]));
  const pvcByKey = new Map(pvcs.map((p) => [`${p.metadata.namespace}/${p.metadata.name}`, p]));
  const updated = now();
  for (const node of nodes) {
    const name = node.metadata.name;
    if (controls.downNodes.includes(name) || (controls.cutOffNodes ?? []).includes(name)) continue;
    const here = pods.filter((p) => p.spec?.nodeName === name);
    const volumes: ViewVolume[] = here.filter((p) => !['Succeeded', 'Failed'].includes(p.status?.phase)).flatMap((pod) => (pod.spec.volumes ?? []).flatMap((v: Raw) => {
      const claim = v.persistentVolumeClaim?.claimName;
      const pvName = claim ? pvcByKey.get(`${pod.metadata.namespace}/${claim}`)?.spec?.volumeName : undefined;
      const pv = pvName ? pvByName.get(pvName) : undefined;
      if (claim && !pv) return [];
      const plugin = pluginOf(v, pv);
      return plugin ? [{ podUid: pod.metadata.uid, name: pv ? pv.metadata.name : v.name, plugin, mounted: pod.status?.phase === 'Running' }] : [];
    }));
    writeView(dir, { node: name, updated, pods: here, volumes });
  }
}

async function main(): Promise<void> {
  const dir = process.argv[2];
  const state = findCluster(dir);
  const c = await client(state.kubeconfig);
  log(`agent for ${state.server}: attacher ${TEST_DRIVER}, kubelet volume manager for pods annotated ${SIM_KUBELET_ANNOTATION}=custom`);
  for (;;) {
    try {
      const controls = readControls(dir);
      const [nodes, pods, pvcs, pvs, vas] = await Promise.all([
        list(c, '/api/v1/nodes?labelSelector=type%3Dkwok'), list(c, '/api/v1/pods'), list(c, '/api/v1/persistentvolumeclaims'),
        list(c, '/api/v1/persistentvolumes'), list(c, '/apis/storage.k8s.io/v1/volumeattachments'),
      ]);
      kubeletViews(dir, nodes, pods, pvcs, pvs, controls);
      await attacher(c, vas, controls);
      await kubelet(c, nodes, pods, pvcs, pvs, controls);
    } catch (err) {
      log(`tick failed: ${(err as Error).message}`);
    }
    await new Promise((r) => setTimeout(r, 1000));
  }
}

void main();
