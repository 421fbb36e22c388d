// The synthetic cluster's objects, as the components that own them would write them: what a create takes (spec)
// and, separately, what the status subresource takes (a create drops status). Pure: names, times and sizes in.
import { createHash } from 'node:crypto';

 
export type Raw = any;

/** RFC 3339 with seconds, as the API server writes metav1.Time. */
export const iso = (ms: number): string => new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
/** metav1.MicroTime, as a kubelet writes a Lease's renewTime. */
const micro = (ms: number): string => new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');

export const uniqueVolumeName = (driver: string, handle: string) => `kubernetes.io/csi/${driver}^${handle}`;
/** A CSI VolumeAttachment's name: csi-<sha256(handle + driver + node)>. */
export const attachmentName = (handle: string, driver: string, node: string) => `csi-${createHash('sha256').update(handle + driver + node).digest('hex')}`;
const attacherFinalizer = (driver: string) => `external-attacher/${driver.replace(/[^a-zA-Z0-9-]/g, '-')}`;

export const IMAGE = 'registry.example/shop/app:1.8.3';

export function namespace(name: string): Raw {
  return { apiVersion: 'v1', kind: 'Namespace', metadata: { name } };
}

/** The ServiceAccount admission plugin refuses pods whose service account is missing; no controller makes it here. */
export function defaultServiceAccount(ns: string): Raw {
  return { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'default', namespace: ns } };
}

export function storageClass(name: string, driver: string): Raw {
  return { apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass', metadata: { name }, provisioner: driver, reclaimPolicy: 'Delete', volumeBindingMode: 'Immediate', allowVolumeExpansion: true };
}

export type Readiness = { ready: 'True' } | { ready: 'Unknown'; since: number };

export function node(name: string, health: Readiness): Raw {
  const down = health.ready === 'Unknown';
  return {
    apiVersion: 'v1', kind: 'Node',
    metadata: {
      name,
      labels: {
        'kubernetes.io/hostname': name, 'kubernetes.io/os': 'linux', 'kubernetes.io/arch': 'amd64', 'beta.kubernetes.io/os': 'linux', 'beta.kubernetes.io/arch': 'amd64',
        'node.kubernetes.io/instance-type': 'm5.xlarge', 'topology.kubernetes.io/region': 'eu-west-1', 'topology.kubernetes.io/zone': `eu-west-1${'abc'[createHash('md5').update(name).digest()[0] % 3]}`,
      },
      annotations: { 'node.alpha.kubernetes.io/ttl': '0', 'volumes.kubernetes.io/controller-managed-attach-detach': 'true' },
    },
    spec: {
      providerID: `aws:///eu-west-1a/i-${createHash('md5').update(name).digest('hex').slice(0, 17)}`,
      ...(down ? { taints: [
        { key: 'node.kubernetes.io/unreachable', effect: 'NoSchedule', timeAdded: iso(health.since) },
        { key: 'node.kubernetes.io/unreachable', effect: 'NoExecute', timeAdded: iso(health.since) },
      ] } : {}),
    },
  };
}

/** Node status as the kubelet posts it (or as the node lifecycle controller leaves it once the kubelet stopped). */
export function nodeStatus(name: string, ip: string, health: Readiness, now: number, volumes: string[]): Raw {
  const beat = health.ready === 'True' ? iso(now - 8_000) : iso(health.since);
  const pressure = (type: string, reason: string, message: string) => health.ready === 'True'
    ? { type, status: 'False', reason, message, lastHeartbeatTime: beat, lastTransitionTime: iso(now - 30 * 86_400_000) }
    : { type, status: 'Unknown', reason: 'NodeStatusUnknown', message: 'Kubelet stopped posting node status.', lastHeartbeatTime: beat, lastTransitionTime: iso(health.since) };
  const ready = health.ready === 'True'
    ? { type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status', lastHeartbeatTime: beat, lastTransitionTime: iso(now - 30 * 86_400_000) }
    : { type: 'Ready', status: 'Unknown', reason: 'NodeStatusUnknown', message: 'Kubelet stopped posting node status.', lastHeartbeatTime: beat, lastTransitionTime: iso(health.since) };
  const resources = { cpu: '4', 'ephemeral-storage': '101430960Ki', memory: '16100608Ki', pods: '110', 'hugepages-1Gi': '0', 'hugepages-2Mi': '0' };
  return {
    capacity: resources,
    allocatable: { ...resources, cpu: '3920m', memory: '15069440Ki' },
    conditions: [
      pressure('MemoryPressure', 'KubeletHasSufficientMemory', 'kubelet has sufficient memory available'),
      pressure('DiskPressure', 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure'),
      pressure('PIDPressure', 'KubeletHasSufficientPID', 'kubelet has sufficient PID available'),
      ready,
    ],
    addresses: [{ type: 'InternalIP', address: ip }, { type: 'Hostname', address: name }],
    daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
    nodeInfo: {
      machineID: createHash('md5').update(`m${name}`).digest('hex'), systemUUID: createHash('md5').update(`s${name}`).digest('hex'), bootID: createHash('md5').update(`b${name}`).digest('hex'),
      kernelVersion: '6.1.0-21-cloud-amd64', osImage: 'Debian GNU/Linux 12 (bookworm)', containerRuntimeVersion: 'containerd://1.7.13',
      kubeletVersion: 'v1.33.13', kubeProxyVersion: 'v1.33.13', operatingSystem: 'linux', architecture: 'amd64',
    },
    images: [{ names: [IMAGE], sizeBytes: 48_123_456 }, { names: ['registry.k8s.io/pause:3.10'], sizeBytes: 320_368 }],
    ...(volumes.length ? { volumesAttached: volumes.map((v) => ({ name: v, devicePath: '' })), volumesInUse: volumes } : {}),
  };
}

export function csiNode(name: string, driver: string): Raw {
  return { apiVersion: 'storage.k8s.io/v1', kind: 'CSINode', metadata: { name }, spec: { drivers: [{ name: driver, nodeID: name, topologyKeys: null }] } };
}

export function lease(nodeName: string, renewTime: number): Raw {
  return {
    apiVersion: 'coordination.k8s.io/v1', kind: 'Lease',
    metadata: { name: nodeName, namespace: 'kube-node-lease' },
    spec: { holderIdentity: nodeName, leaseDurationSeconds: 40, renewTime: micro(renewTime) },
  };
}

export function claim(ns: string, name: string, pvName: string): Raw {
  return {
    apiVersion: 'v1', kind: 'PersistentVolumeClaim',
    metadata: { name, namespace: ns, annotations: { 'pv.kubernetes.io/bind-completed': 'yes', 'pv.kubernetes.io/bound-by-controller': 'yes' } },
    spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '10Gi' } }, storageClassName: 'bench', volumeMode: 'Filesystem', volumeName: pvName },
  };
}

export const claimStatus = { phase: 'Bound', accessModes: ['ReadWriteOnce'], capacity: { storage: '10Gi' } };

export function volume(name: string, driver: string, claimRef: { namespace: string; name: string; uid: string }): Raw {
  return {
    apiVersion: 'v1', kind: 'PersistentVolume',
    metadata: { name, annotations: { 'pv.kubernetes.io/provisioned-by': driver }, finalizers: ['kubernetes.io/pv-protection', attacherFinalizer(driver)] },
    spec: {
      accessModes: ['ReadWriteOnce'], capacity: { storage: '10Gi' }, persistentVolumeReclaimPolicy: 'Delete', storageClassName: 'bench', volumeMode: 'Filesystem',
      csi: { driver, volumeHandle: name, fsType: 'ext4', volumeAttributes: { 'storage.kubernetes.io/csiProvisionerIdentity': `1700000000000-1234-${driver}` } },
      claimRef: { apiVersion: 'v1', kind: 'PersistentVolumeClaim', ...claimRef },
    },
  };
}

export const volumeStatus = { phase: 'Bound' };

export function attachment(pv: string, driver: string, nodeName: string): Raw {
  return {
    apiVersion: 'storage.k8s.io/v1', kind: 'VolumeAttachment',
    metadata: { name: attachmentName(pv, driver, nodeName), annotations: { 'csi.alpha.kubernetes.io/node-id': nodeName }, finalizers: [attacherFinalizer(driver)] },
    spec: { attacher: driver, nodeName, source: { persistentVolumeName: pv } },
  };
}

export const attachmentStatus = { attached: true, attachmentMetadata: {} };

export interface PodSpec {
  ns: string;
  name: string;
  node: string;
  claim?: string;
  owner: { kind: 'ReplicaSet' | 'StatefulSet'; name: string };
}

export function pod(p: PodSpec): Raw {
  const app = p.owner.name.replace(/-[a-z0-9]{6,10}$/, '');
  return {
    apiVersion: 'v1', kind: 'Pod',
    metadata: {
      name: p.name, namespace: p.ns,
      labels: { app, 'pod-template-hash': '7d9f6c5b8', 'app.kubernetes.io/part-of': 'bench' },
      annotations: { 'kubectl.kubernetes.io/restartedAt': '2026-01-01T00:00:00Z', 'prometheus.io/scrape': 'true', 'prometheus.io/port': '9090' },
      ownerReferences: [{ apiVersion: 'apps/v1', kind: p.owner.kind, name: p.owner.name, uid: createHash('md5').update(`${p.ns}/${p.owner.name}`).digest('hex').replace(/^(.{8})(.{4})(.{4})(.{4})(.{12})$/, '$1-$2-$3-$4-$5'), controller: true, blockOwnerDeletion: true }],
    },
    spec: {
      nodeName: p.node,
      containers: [{
        name: 'app', image: IMAGE, imagePullPolicy: 'IfNotPresent',
        args: ['--listen=:8080', '--metrics=:9090', '--log-format=json'],
        ports: [{ name: 'http', containerPort: 8080, protocol: 'TCP' }, { name: 'metrics', containerPort: 9090, protocol: 'TCP' }],
        env: [{ name: 'POD_NAME', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.name' } } }, { name: 'LOG_LEVEL', value: 'info' }],
        resources: { requests: { cpu: '50m', memory: '64Mi' }, limits: { memory: '256Mi' } },
        readinessProbe: { httpGet: { path: '/healthz', port: 8080, scheme: 'HTTP' }, periodSeconds: 10, timeoutSeconds: 1, successThreshold: 1, failureThreshold: 3 },
        volumeMounts: p.claim ? [{ name: 'data', mountPath: '/var/lib/app' }] : [{ name: 'tmp', mountPath: '/tmp' }],
      }],
      volumes: p.claim ? [{ name: 'data', persistentVolumeClaim: { claimName: p.claim } }] : [{ name: 'tmp', emptyDir: {} }],
      restartPolicy: 'Always', terminationGracePeriodSeconds: 30, dnsPolicy: 'ClusterFirst', schedulerName: 'default-scheduler',
      tolerations: [
        { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
        { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
      ],
    },
  };
}

/** A running pod's status as its kubelet posts it; `waiting`: still ContainerCreating (its volume never came). */
export function podStatus(hostIP: string, podIP: string, started: number, waiting = false): Raw {
  const t = iso(started);
  const ready = waiting ? { status: 'False', reason: 'ContainersNotReady', message: 'containers with unready status: [app]' } : { status: 'True' };
  return {
    phase: waiting ? 'Pending' : 'Running',
    conditions: [
      { type: 'PodReadyToStartContainers', status: waiting ? 'False' : 'True', lastProbeTime: null, lastTransitionTime: t },
      { type: 'Initialized', status: 'True', lastProbeTime: null, lastTransitionTime: t },
      { type: 'Ready', lastProbeTime: null, lastTransitionTime: t, ...ready },
      { type: 'ContainersReady', lastProbeTime: null, lastTransitionTime: t, ...ready },
      { type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: t },
    ],
    hostIP, hostIPs: [{ ip: hostIP }],
    ...(waiting ? {} : { podIP, podIPs: [{ ip: podIP }] }),
    startTime: t,
    containerStatuses: [{
      name: 'app', image: IMAGE, imageID: waiting ? '' : `${IMAGE.split(':')[0]}@sha256:${createHash('sha256').update(IMAGE).digest('hex')}`,
      ready: !waiting, restartCount: 0, started: !waiting,
      ...(waiting ? {} : { containerID: `containerd://${createHash('sha256').update(podIP + t).digest('hex')}` }),
      state: waiting ? { waiting: { reason: 'ContainerCreating' } } : { running: { startedAt: t } },
      lastState: {},
    }],
  };
}

export interface EventSpec {
  pod: { ns: string; name: string; uid: string; node: string };
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
  component: string;
  first: number;
  last: number;
  count: number;
}

export function event(e: EventSpec, serial: number): Raw {
  return {
    apiVersion: 'v1', kind: 'Event',
    metadata: { name: `${e.pod.name}.${(0x17a0000000000000n + BigInt(serial)).toString(16)}`, namespace: e.pod.ns },
    involvedObject: { apiVersion: 'v1', kind: 'Pod', namespace: e.pod.ns, name: e.pod.name, uid: e.pod.uid },
    type: e.type, reason: e.reason, message: e.message, count: e.count,
    firstTimestamp: iso(e.first), lastTimestamp: iso(e.last),
    source: { component: e.component, ...(e.component === 'kubelet' ? { host: e.pod.node } : {}) },
    reportingComponent: e.component, reportingInstance: e.component === 'kubelet' ? e.pod.node : '',
  };
}
