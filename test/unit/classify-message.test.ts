import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { classificationLine, classifyVolumeMessage, parseGrpc, RULES, type VolumePhase } from '../../src/checks/classify-message.js';
import realworld from '../fixtures/realworld-messages.json';

interface RealMessage { family: string; where: string; reason: string | null; message: string; cause: string | null; fix: string | null }
const messages = realworld as RealMessage[];

const PHASE: Record<string, VolumePhase> = { attach: 'attach', detach: 'detach', mount: 'mount', provisioning: 'provision', expansion: 'resize', longhorn: 'attach' };

/**
 * The class expected for each real message, written after reading the message and the cause its thread found.
 * `null`: the message itself carries no cause (a symptom or a progress message), so "not classified" is deliberate.
 */
const EXPECTED: Record<number, string | null> = {
  4: 'still-attached', // Hetzner: "volume is already attached to a server, please detach it first"
  5: 'disk-type-incompatible', // GCE: pd-standard cannot be used by c3 machine types
  6: 'timeout', // Azure: DeadlineExceeded, context deadline exceeded
  7: 'volume-being-deleted', // PersistentVolume "..." is marked for deletion
  8: 'backend-volume-not-found', // vSphere CNS: failed to retrieve datastore for the volume
  9: 'backend-volume-not-found', // vSphere: not registered as CNS volume
  10: 'still-attached', // VolumeFailedDelete: still attached to node cloud-02
  11: 'backend-volume-busy', // AWS: actual=busy, desired=detached
  12: 'timeout', // DeadlineExceeded on detach
  13: 'filesystem-unreadable', // can't read superblock
  14: 'rbd-image-in-use', // rbd image ... is still being used (stale watcher)
  15: 'csi-driver-not-registered',
  16: null, // the kubelet's "timeout expired waiting for volumes" summary: a symptom
  17: 'command-timeout', // process killed after timeout (iSCSI login hung)
  18: null, // "Unable to attach or mount volumes ... timed out waiting for the condition": a symptom
  19: 'wait-for-attach-failed', // azureDisk WaitForAttach could not use the device path
  20: 'local-path-missing', // path "/mnt/local/vol1" does not exist
  24: 'storageclass-not-found',
  25: 'no-selected-node', // local-path: no node was specified (Immediate binding)
  26: null, // ExternalProvisioning progress message
  27: null, // WaitForFirstConsumer progress message
  28: 'offline-expansion-only',
  29: 'tool-missing', // resize2fs not in the driver image
  30: 'online-resize-refused', // resize2fs: Permission denied (file system errors)
  31: 'longhorn-volume-not-ready',
  32: 'longhorn-attach-timeout',
  33: 'longhorn-replica-error',
  34: 'longhorn-disk-changed',
};

describe('classifyVolumeMessage on the real messages', () => {
  const inScope = messages.map((m, i) => ({ m, i })).filter(({ m }) => PHASE[m.family]);

  it('has an expectation for every attach, detach, mount, provisioning, expansion and Longhorn message', () => {
    expect(inScope.map(({ i }) => i).sort((a, b) => a - b)).toEqual(Object.keys(EXPECTED).map(Number).sort((a, b) => a - b));
  });

  it.each(inScope.map(({ m, i }) => [i, m.family, m] as const))('#%i (%s)', (i, _family, m) => {
    const c = classifyVolumeMessage(m.message, { phase: PHASE[m.family] });
    expect(c?.id ?? null).toBe(EXPECTED[i]);
    if (c) {
      expect(c.cause.length).toBeGreaterThan(20);
      expect(c.nextStep.length).toBeGreaterThan(20);
    }
  });

  it('names what the messages name', () => {
    expect(classifyVolumeMessage(messages[15].message)?.cause).toContain('hostpath.csi.k8s.io');
    expect(classifyVolumeMessage(messages[29].message)?.cause).toContain('resize2fs');
    expect(classifyVolumeMessage(messages[31].message)?.code).toBe('Aborted');
    expect(classifyVolumeMessage(messages[28].message)?.code).toBe('FailedPrecondition');
  });
});

/** Messages the project has not seen, worded as the components really print them. */
const HELD_OUT: [string, VolumePhase, string][] = [
  // gRPC codes with the sidecars' and drivers' fixed phrases
  ['AttachVolume.Attach failed for volume "pvc-0a1b2c" : rpc error: code = Aborted desc = an operation with the given Volume ID vol-0abc123def already exists', 'attach', 'operation-in-progress'],
  ['MountVolume.MountDevice failed for volume "pvc-77" : rpc error: code = Aborted desc = an operation with the given Volume ID 0001-0009-rook-ceph-0000000000000001-5f2c already exists', 'mount', 'operation-in-progress'],
  ['AttachVolume.Attach failed for volume "pvc-5" : rpc error: code = Aborted desc = volume pvc-5 hasn\'t been attached yet', 'attach', 'grpc-aborted'],
  ['rpc error: code = Aborted desc = an operation with the given volume id "mfs-vol-12" already exists', 'provision', 'operation-in-progress'],
  ['resize volume "pvc-42" by resizer "rbd.csi.ceph.com" failed: rpc error: code = Internal desc = an Expand operation with given id 0001-0009-rook-ceph-0000000000000002-abcd already exists', 'resize', 'operation-in-progress'],
  ['MountVolume.SetUp failed for volume "config" : configmap "redis-conig" not found', 'mount', 'referenced-object-missing'],
  ['rpc error: code = DeadlineExceeded desc = context deadline exceeded', 'attach', 'timeout'],
  ['rpc error: code = Unavailable desc = connection error: desc = "transport: Error while dialing dial unix /csi/csi.sock: connect: no such file or directory"', 'detach', 'driver-unreachable'],
  ['rpc error: code = Unavailable desc = the server is currently unable to handle the request', 'attach', 'grpc-unavailable'],
  ['resize volume "pvc-14" by resizer "nfs.csi.k8s.io" failed: rpc error: code = Unimplemented desc = ', 'resize', 'grpc-unimplemented'],
  ['failed to provision volume with StorageClass "csi-rbd": rpc error: code = InvalidArgument desc = missing required parameter clusterID', 'provision', 'grpc-invalid-argument'],
  ['rpc error: code = FailedPrecondition desc = volume vol-9 has snapshots', 'provision', 'grpc-failed-precondition'],
  ['rpc error: code = Internal desc = rpc error: code = NotFound desc = instance i-0abc not found in any zone', 'attach', 'grpc-not-found'],
  ['rpc error: code = ResourceExhausted desc = node worker-3 has no free slot', 'attach', 'grpc-resource-exhausted'],
  ['failed to provision volume with StorageClass "fast": rpc error: code = ResourceExhausted desc = Insufficient capacity in pool ssd-pool', 'provision', 'insufficient-capacity'],
  ['rpc error: code = PermissionDenied desc = caller lacks role', 'provision', 'grpc-permission-denied'],
  ['rpc error: code = Unknown desc = unexpected EOF from backend', 'attach', 'grpc-internal'],
  // Kubernetes' own phrases
  ['AttachVolume.Attach failed for volume "pvc-16" : PersistentVolume "pvc-16" is marked for deletion', 'attach', 'volume-being-deleted'],
  ['failed to provision volume with StorageClass "gold": persistentvolumeclaim "data-db-0" is being deleted', 'provision', 'volume-being-deleted'],
  ['Multi-Attach error for volume "pvc-17" Volume is already exclusively attached to one node and can\'t be attached to another', 'attach', 'multi-attach'],
  ['MountVolume.MountDevice failed for volume "pvc-8" : kubernetes.io/csi: attacher.MountDevice failed to create newCsiDriverClient: driver name ebs.csi.aws.com not found in the list of registered CSI drivers', 'mount', 'csi-driver-not-registered'],
  ['UnmountVolume.TearDown failed for volume "data" (UniqueName: "kubernetes.io/csi/rook-ceph.rbd.csi.ceph.com^0001-0009") pod "db-0" (UID: "1234") : kubernetes.io/csi: Unmounter.TearDownAt failed to get CSI client: driver name rook-ceph.rbd.csi.ceph.com not found in the list of registered CSI drivers', 'mount', 'csi-driver-not-registered'],
  ['UnmountVolume.TearDown failed for volume "data" (UniqueName: "kubernetes.io/csi/x^y") pod "db-0" (UID: "1234") : kubernetes.io/csi: Unmounter.TearDownAt failed: rpc error: code = Internal desc = unmount failed: exit status 32\nUnmounting arguments: /var/lib/kubelet/pods/1234/volumes/kubernetes.io~csi/pvc-9/mount\nOutput: umount: /var/lib/kubelet/pods/1234/volumes/kubernetes.io~csi/pvc-9/mount: target is busy.', 'mount', 'unmount-busy'],
  ['UnmountDevice failed for volume "pvc-3" : rpc error: code = Internal desc = failed to unmount /var/lib/kubelet/plugins/kubernetes.io/csi/pv/pvc-3/globalmount: device or resource busy', 'mount', 'unmount-busy'],
  ['UnmountVolume.TearDown failed for volume "cache" (UniqueName: "kubernetes.io/empty-dir/abc-cache") pod "abc" (UID: "abc") : remove /var/lib/kubelet/pods/abc/volumes/kubernetes.io~empty-dir/cache: directory not empty', 'mount', 'teardown-failed'],
  ['failed to get target node: nodes "worker-1" is forbidden: User "system:serviceaccount:kube-system:csi-provisioner" cannot get resource "nodes" in API group "" at the cluster scope', 'provision', 'rbac-forbidden'],
  ['persistentvolumeclaims "data" is forbidden: exceeded quota: storage-quota, requested: requests.storage=50Gi, used: requests.storage=90Gi, limited: requests.storage=100Gi', 'provision', 'resource-quota'],
  ['failed to provision volume with StorageClass "fast-ssd": storageclass.storage.k8s.io "fast-ssd" not found', 'provision', 'storageclass-not-found'],
  ['MountVolume.SetUp failed for volume "config" : configmap "app-settings" not found', 'mount', 'referenced-object-missing'],
  // Clouds
  ['AttachVolume.Attach failed for volume "pvc-1" : rpc error: code = Internal desc = Could not attach volume "vol-0123" to node "i-0456": could not attach volume "vol-0123" to node "i-0456": InvalidVolume.ZoneMismatch: The volume \'vol-0123\' is not in the same availability zone as instance \'i-0456\'', 'attach', 'zone-mismatch'],
  ['AttachVolume.Attach failed for volume "pvc-9" : rpc error: code = Internal desc = Attach volume /subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/disks/pvc-9 to instance aks-nodepool1-123 failed with Retriable: false, RetryAfter: 0s, HTTPStatusCode: 409, RawError: {"error":{"code":"OperationNotAllowed","message":"The maximum number of data disks allowed to be attached to a VM of this size is 4."}}', 'attach', 'attach-limit'],
  ['rpc error: code = Unknown desc = Attach volume "/subscriptions/x/resourceGroups/rg/providers/Microsoft.Compute/disks/pvc-3" to instance "aks-agentpool-1" failed with Retriable: false, RetryAfter: 0s, HTTPStatusCode: 409, RawError: {"error": {"code": "AttachDiskWhileBeingDetached", "message": "Cannot attach data disk \'pvc-3\' to VM \'aks-agentpool-1\' because the disk is currently being detached or the last detach operation failed."}}', 'attach', 'attach-while-detaching'],
  ['AttachVolume.Attach failed for volume "pvc-4" : disk(/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/disks/pvc-4) already attached to node(aks-nodepool1-2), could not be attached to node(aks-nodepool1-3)', 'attach', 'still-attached'],
  ['failed to provision volume with StorageClass "premium-rwo": rpc error: code = Internal desc = CreateVolume failed to create single zonal disk "pvc-5": failed to insert zonal disk: unknown Insert disk error: googleapi: Error 403: Quota \'SSD_TOTAL_GB\' exceeded. Limit: 500.0 in region us-central1., quotaExceeded', 'provision', 'cloud-quota'],
  ['failed to provision volume with StorageClass "gp3": rpc error: code = Internal desc = Could not create volume "pvc-6": could not create volume in EC2: VolumeLimitExceeded: You have exceeded your maximum gp3 storage limit of 50 TiB in this region.', 'provision', 'cloud-quota'],
  ['rpc error: code = NotFound desc = Could not find disk Key{"pvc-7", zone: "europe-west1-b"}: googleapi: Error 404: The resource \'projects/p/zones/europe-west1-b/disks/pvc-7\' was not found, notFound', 'attach', 'backend-volume-not-found'],
  ['rpc error: code = Internal desc = Could not create volume "pvc-15": could not create volume in EC2: UnauthorizedOperation: You are not authorized to perform this operation.', 'provision', 'permission-denied'],
  ['resize volume "pvc-13" by resizer "ebs.csi.aws.com" failed: rpc error: code = Internal desc = Could not modify volume "vol-1": RequestLimitExceeded: Request limit exceeded.', 'resize', 'cloud-rate-limited'],
  ['rpc error: code = Internal desc = Could not detach volume "vol-1" from node "i-2": timed out waiting for volume state: actual=busy, desired=detached', 'detach', 'backend-volume-busy'],
  ['AttachVolume.Attach failed for volume "pvc-93" : rpc error: code = InvalidArgument desc = Failed to Attach: failed cloud service attach disk call: googleapi: Error 400: hyperdisk-balanced disk type cannot be used by n1-standard-8 machine type., badRequest', 'attach', 'disk-type-incompatible'],
  // Node: file systems, helpers, block protocols
  ['MountVolume.SetUp failed for volume "shared" : mount failed: exit status 32\nMounting command: mount\nMounting arguments: -t nfs 192.168.1.20:/srv/share /var/lib/kubelet/pods/x/volumes/kubernetes.io~nfs/shared\nOutput: mount.nfs: access denied by server while mounting 192.168.1.20:/srv/share', 'mount', 'nfs-access-denied'],
  ['MountVolume.SetUp failed for volume "nfs-vol" : mount failed: exit status 32\nMounting command: systemd-run\nMounting arguments: --description=Kubernetes transient mount for /var/lib/kubelet/pods/x/volumes/kubernetes.io~nfs/nfs-vol --scope -- mount -t nfs 10.1.2.3:/exports /var/lib/kubelet/pods/x/volumes/kubernetes.io~nfs/nfs-vol\nOutput: Running scope as unit: run-r1.scope\nmount: wrong fs type, bad option, bad superblock on 10.1.2.3:/exports, missing codepage or helper program, or other error\n(for several filesystems (e.g. nfs, cifs) you might need a /sbin/mount.<type> helper program)', 'mount', 'mount-helper-missing'],
  ['MountVolume.MountDevice failed for volume "pvc-10" : rpc error: code = Internal desc = mount failed: exit status 32\nMounting command: mount\nMounting arguments: -t xfs -o defaults /dev/nvme1n1 /var/lib/kubelet/plugins/kubernetes.io/csi/pv/pvc-10/globalmount\nOutput: mount: /var/lib/kubelet/plugins/kubernetes.io/csi/pv/pvc-10/globalmount: wrong fs type, bad option, bad superblock on /dev/nvme1n1, missing codepage or helper program, or other error.', 'mount', 'filesystem-unreadable'],
  ['MountVolume.SetUp failed for volume "data" : mount failed: exit status 32 Output: mount.nfs: Connection timed out', 'mount', 'nfs-timeout'],
  ['MountVolume.WaitForAttach failed for volume "iscsipd" : failed to get any path for iscsi disk, last err seen:\niscsi: failed to attach disk: Error: iscsiadm: Could not login to [iface: default, target: iqn.2020-01.com.example:storage, portal: 10.0.0.9,3260].\niscsiadm: initiator reported error (24 - iSCSI login failed due to authorization failure)', 'mount', 'iscsi-login-failed'],
  ['MountVolume.MountDevice failed for volume "pvc-11" : rpc error: code = Internal desc = rbd image replicapool/csi-vol-22aa is still being used', 'mount', 'rbd-image-in-use'],
  ['MountVolume.MountDevice failed for volume "pvc-12" : rpc error: code = Internal desc = format of disk "/dev/rbd0" failed: type:("ext4") target:("/var/lib/kubelet/plugins/x/globalmount") options:("defaults") errcode:(exit status 1) output:(mke2fs: No space left on device)', 'mount', 'insufficient-capacity'],
  ['MountVolume.NodeExpandVolume failed for volume "pvc-40" : Expander.NodeExpand failed to expand the volume : rpc error: code = Internal desc = resize of device /dev/sdc failed: exec: "xfs_growfs": executable file not found in $PATH', 'resize', 'tool-missing'],
  ['resize volume "pvc-41" by resizer "csi.vsphere.vmware.com" failed: rpc error: code = FailedPrecondition desc = failed to expand volume 4b1c: online volume expansion is not supported', 'resize', 'offline-expansion-only'],
  // The external-resizer's own refusal while a pod uses the volume, and a bare FailedPrecondition from ControllerExpandVolume.
  ['Unable to expand shop/data because CSI driver pd.csi.storage.gke.io only supports offline expansion and volume is currently in-use', 'resize', 'offline-expansion-only'],
  ['resize volume "pvc-43" by resizer "disk.csi.azure.com" failed: rpc error: code = FailedPrecondition desc = disk vol-9 is attached to a VM', 'resize', 'offline-expansion-only'],
  ['MountVolume.NodeExpandVolume failed for volume "pvc-44" requested read-only file system', 'resize', 'resize-read-only'],
  // Longhorn
  ['AttachVolume.Attach failed for volume "pvc-18" : rpc error: code = Internal desc = Bad response statusCode [500]. Status [500 Internal Server Error]. Body: [message=unable to attach volume pvc-18 to node-2: volume pvc-18 is not ready for workloads]', 'attach', 'longhorn-volume-not-ready'],
  ['AttachVolume.Attach failed for volume "pvc-19" : attachdetachment timeout for volume pvc-19', 'attach', 'longhorn-attach-timeout'],
  ['Detected replica pvc-20-r-aa11bb22 (10.42.1.7:10000) in error', 'attach', 'longhorn-replica-error'],
];

describe('classifyVolumeMessage on messages it has not seen', () => {
  it.each(HELD_OUT)('%s', (message, phase, id) => {
    expect(classifyVolumeMessage(message, { phase })?.id).toBe(id);
  });

  it('classifies by meaning: the same message with any volume, node and driver names gets the same class', () => {
    const name = fc.stringMatching(/^[a-z][a-z0-9-]{0,30}[a-z0-9]$/);
    fc.assert(fc.property(name, name, name, (pv, node, driver) => {
      const d = `${driver}.csi.example.com`;
      expect(classifyVolumeMessage(`MountVolume.MountDevice failed for volume "${pv}" : kubernetes.io/csi: attacher.MountDevice failed to create newCsiDriverClient: driver name ${d} not found in the list of registered CSI drivers`)?.id).toBe('csi-driver-not-registered');
      expect(classifyVolumeMessage(`AttachVolume.Attach failed for volume "${pv}" : rpc error: code = Aborted desc = volume ${pv} is not ready for workloads`)?.id).toBe('longhorn-volume-not-ready');
      expect(classifyVolumeMessage(`AttachVolume.Attach failed for volume "${pv}" : rpc error: code = Internal desc = volume ${pv} is already attached to node ${node}`)?.id).toBe('still-attached');
      expect(classifyVolumeMessage(`AttachVolume.Attach failed for volume "${pv}" : rpc error: code = DeadlineExceeded desc = context deadline exceeded`)?.id).toBe('timeout');
      expect(classifyVolumeMessage(`MountVolume.MountDevice failed for volume "${pv}" : rpc error: code = Internal desc = rpc error: code = Internal desc = failed to stage volume: process killed after timeout`)?.id).toBe('command-timeout');
      expect(classifyVolumeMessage(`rpc error: code = Internal desc = ${driver} had a bad day`, { phase: 'attach' })?.id).toBe('grpc-internal');
    }), { numRuns: 200 });
  });

  it('never throws, whatever the message', () => {
    fc.assert(fc.property(fc.string({ maxLength: 400 }), (s) => {
      const c = classifyVolumeMessage(s, { phase: 'mount' });
      expect(c === undefined || RULES.some((r) => r.id === c.id)).toBe(true);
    }), { numRuns: 500 });
  });
});

describe('near misses', () => {
  it('a name that says "timeout" or "timed out" is not a timeout', () => {
    expect(classifyVolumeMessage('AttachVolume.Attach failed for volume "pvc-timeout-test" : rpc error: code = Internal desc = boom', { phase: 'attach' })?.id).toBe('grpc-internal');
    expect(classifyVolumeMessage('MountVolume.SetUp failed for volume "timed-out-jobs" : something odd happened')).toBeUndefined();
    expect(classifyVolumeMessage('MountVolume.SetUp failed for volume "timeout" : mount failed: exit status 32 Output: mount.nfs: access denied by server while mounting nas:/timeout')?.id).toBe('nfs-access-denied');
  });
  it('a name that says "permission-denied" or "forbidden" is not a permission problem', () => {
    expect(classifyVolumeMessage('MountVolume.SetUp failed for volume "permission-denied-logs" : rpc error: code = Unavailable desc = driver restarting', { phase: 'mount' })?.id).toBe('grpc-unavailable');
    expect(classifyVolumeMessage('AttachVolume.Attach failed for volume "forbidden" : rpc error: code = Aborted desc = try again', { phase: 'attach' })?.id).toBe('grpc-aborted');
    expect(classifyVolumeMessage('rpc error: code = Aborted desc = volume pvc-forbidden-1 hasn\'t been attached yet', { phase: 'attach' })?.id).toBe('grpc-aborted');
    expect(classifyVolumeMessage('rpc error: code = Aborted desc = volume throttled-db-ebusy hasn\'t been attached yet', { phase: 'attach' })?.id).toBe('grpc-aborted');
  });
  it('"Connection timed out" is an NFS timeout only for NFS', () => {
    const msg = 'MountVolume.MountDevice failed for volume "pvc-1" : rpc error: code = Internal desc = connect to 10.0.0.5:3260: Connection timed out';
    expect(classifyVolumeMessage(msg, { phase: 'mount' })?.id).toBe('timeout');
    expect(classifyVolumeMessage(msg, { phase: 'mount', nfs: true })?.id).toBe('nfs-timeout');
  });
  it('an attachment being deleted is not a volume or claim being deleted', () => {
    // As the attach/detach controller reported it on v1.33 while the node's old VolumeAttachment could not detach.
    expect(classifyVolumeMessage('AttachVolume.Attach failed for volume "pv-story2" : volume attachment is being deleted', { phase: 'attach' })?.id).toBe('attachment-being-deleted');
    expect(classifyVolumeMessage('AttachVolume.Attach failed for volume "pvc-1" : PersistentVolume "pvc-1" is marked for deletion', { phase: 'attach' })?.id).toBe('volume-being-deleted');
  });
  it('a volume being detached is not a volume being deleted', () => {
    expect(classifyVolumeMessage('rpc error: code = FailedPrecondition desc = volume vol-9 is being detached', { phase: 'attach' })?.id).toBe('grpc-failed-precondition');
  });
  it('a missing StorageClass or ConfigMap is not a missing backend volume', () => {
    expect(classifyVolumeMessage('storageclass.storage.k8s.io "volume-not-found" not found')?.id).toBe('storageclass-not-found');
    expect(classifyVolumeMessage('MountVolume.SetUp failed for volume "cfg" : secret "db-volume" not found')?.id).toBe('referenced-object-missing');
  });
  it('wrong fs type on a block device is a file system problem, not a missing NFS helper', () => {
    const msg = 'mount: /mnt/x: wrong fs type, bad option, bad superblock on /dev/sdb, missing codepage or helper program, or other error.';
    expect(classifyVolumeMessage(msg)?.id).toBe('filesystem-unreadable');
  });
  it('the kubelet\'s "timed out waiting" summary and progress messages are deliberately not classified', () => {
    expect(classifyVolumeMessage('Unable to attach or mount volumes: unmounted volumes=[data], unattached volumes=[data kube-api-access-x7h2k]: timed out waiting for the condition')).toBeUndefined();
    expect(classifyVolumeMessage('Unable to attach or mount volumes: unmounted volumes=[data], unattached volumes=[], failed to process volumes=[]: context deadline exceeded')).toBeUndefined();
    expect(classifyVolumeMessage('waiting for a volume to be created, either by external provisioner "ebs.csi.aws.com" or manually created by system administrator')).toBeUndefined();
    expect(classifyVolumeMessage('waiting for first consumer to be created before binding')).toBeUndefined();
  });
  it('an unknown or empty message is not classified', () => {
    expect(classifyVolumeMessage('the flux capacitor is misaligned')).toBeUndefined();
    expect(classifyVolumeMessage('')).toBeUndefined();
    expect(classificationLine(undefined)).toContain('not classified');
  });
});

describe('parseGrpc', () => {
  it('takes the innermost code and its description', () => {
    expect(parseGrpc('rpc error: code = Internal desc = rpc error: code = NotFound desc = volume vol-1 not found')).toEqual({ code: 'NotFound', desc: 'volume vol-1 not found' });
  });
  it('ignores words that are not gRPC codes and messages without a code', () => {
    expect(parseGrpc('exit code = 32')).toBeUndefined();
    expect(parseGrpc('mount failed: exit status 32')).toBeUndefined();
  });
  it('is what the classification reports', () => {
    const c = classifyVolumeMessage('rpc error: code = ResourceExhausted desc = too busy', { phase: 'provision' });
    expect(c).toMatchObject({ id: 'grpc-resource-exhausted', code: 'ResourceExhausted', confidence: 'low' });
    expect(classificationLine(c)).toContain('gRPC ResourceExhausted');
  });
});
