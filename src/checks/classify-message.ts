// One table that turns a raw volume error message (attach, detach, mount, provisioning, resize) into a cause and a
// safe next step. Pure: no I/O. Checks quote the message verbatim whatever this returns; `undefined` means
// "not classified", never "nothing to say".
//
// Matching is by meaning: the gRPC status code the CSI sidecars and the kubelet print
// ("rpc error: code = X desc = ..."), and the fixed phrases of the kubelet, the attach/detach controller, the
// external-attacher/provisioner/resizer, mount(8) and the common storage backends. The table is ordered most
// specific first: a fixed phrase beats a generic phrase, which beats the bare gRPC code, which beats the bare
// kubelet operation name.

export type VolumePhase = 'attach' | 'detach' | 'mount' | 'provision' | 'resize';

export interface ClassifyContext {
  phase?: VolumePhase;
  /** The volume is known to be NFS (from the pod or PV spec), even when the message does not say so. */
  nfs?: boolean;
}

export type GrpcCode =
  | 'OK' | 'Canceled' | 'Unknown' | 'InvalidArgument' | 'DeadlineExceeded' | 'NotFound' | 'AlreadyExists'
  | 'PermissionDenied' | 'ResourceExhausted' | 'FailedPrecondition' | 'Aborted' | 'OutOfRange' | 'Unimplemented'
  | 'Internal' | 'Unavailable' | 'DataLoss' | 'Unauthenticated';

type Confidence = 'high' | 'medium' | 'low';

export interface VolumeMessageClass {
  /** Stable class id, e.g. `csi-driver-not-registered`. */
  id: string;
  cause: string;
  nextStep: string;
  /** high: a fixed phrase that names the cause; medium: a generic phrase; low: only the gRPC code or the operation. */
  confidence: Confidence;
  /** The innermost gRPC status code the message carries, if any. */
  code?: GrpcCode;
}

/** What a rule sees: the message, a copy with bare quoted names blanked, the parsed gRPC code and the context. */
interface MessageFacts {
  message: string;
  /** The message with quoted lower-case names ("pvc-timeout-1") blanked, so names cannot match phrases. */
  text: string;
  code?: GrpcCode;
  /** The text after the innermost `desc =`. */
  desc?: string;
  phase?: VolumePhase;
  nfs: boolean;
}

type Text = string | ((f: MessageFacts) => string);

export interface Rule {
  id: string;
  match: RegExp | ((f: MessageFacts) => boolean);
  cause: Text;
  nextStep: Text;
  confidence: Confidence;
}

const GRPC_CODES: readonly GrpcCode[] = [
  'OK', 'Canceled', 'Unknown', 'InvalidArgument', 'DeadlineExceeded', 'NotFound', 'AlreadyExists', 'PermissionDenied',
  'ResourceExhausted', 'FailedPrecondition', 'Aborted', 'OutOfRange', 'Unimplemented', 'Internal', 'Unavailable',
  'DataLoss', 'Unauthenticated',
];

/** The innermost `code = X desc = ...` (CSI errors are often wrapped: "rpc error: code = Internal desc = rpc error: code = ..."). */
export function parseGrpc(message: string): { code: GrpcCode; desc?: string } | undefined {
  const re = /\bcode\s*=\s*([A-Za-z]+)(?:\s+desc\s*=\s*)?/g;
  let last: { code: GrpcCode; desc?: string } | undefined;
  for (let m = re.exec(message); m; m = re.exec(message)) {
    const code = GRPC_CODES.find((c) => c.toLowerCase() === m![1].toLowerCase());
    if (!code) continue;
    const rest = message.slice(m.index + m[0].length);
    last = { code, desc: /desc\s*=/.test(m[0]) ? rest.trim() : undefined };
  }
  return last;
}

const NFS_HINT = /-t nfs4?\b|mount\.nfs|\bnfs4?:|nfs-common|nfs-utils|\bNFS server\b|type nfs\b/i;

const has = (re: RegExp) => (f: MessageFacts) => re.test(f.text);
const all = (...ms: ((f: MessageFacts) => boolean)[]) => (f: MessageFacts) => ms.every((m) => m(f));
const isNfs = (f: MessageFacts) => f.nfs || NFS_HINT.test(f.message);
const codeIs = (...codes: GrpcCode[]) => (f: MessageFacts) => f.code !== undefined && codes.includes(f.code);

/** The quoted driver name in "driver name X not found in the list of registered CSI drivers". */
const driverName = (f: MessageFacts) => /driver name (\S+) not found in the list of registered CSI drivers/i.exec(f.message)?.[1];

const LOGS = 'the CSI driver\'s controller and node plugin logs (kubectl logs -n <driver namespace> <pod> -c <container>)';

/**
 * The table. Order matters: the first rule that matches wins, so fixed phrases that name a cause come first,
 * then generic phrases, then the bare gRPC status codes, then the bare kubelet operation names.
 */
export const RULES: readonly Rule[] = [
  // ---- Fixed phrases of Kubernetes components -------------------------------------------------------------------
  {
    id: 'csi-driver-not-registered',
    match: /not found in the list of registered CSI drivers|failed to create newCsiDriverClient|failed to get CSI client/i,
    cause: (f) => `the CSI driver${driverName(f) ? ` ${driverName(f)}` : ''} is not registered with the kubelet on this node: its node plugin is not running there, or it registers under a different name or kubelet root directory`,
    nextStep: (f) => `Check the driver's node plugin pod on this node (kubectl get pods -A -o wide | grep -i csi) and that the node's CSINode lists ${driverName(f) ?? 'the driver'} (kubectl get csinode NODE -o yaml); the kubelet retries once the plugin registers.`,
    confidence: 'high',
  },
  {
    // The CSI attacher finds this node's VolumeAttachment for the volume still deleting: an earlier detach has
    // not finished, and the attach waits for it.
    id: 'attachment-being-deleted',
    match: /volume ?attachment[^\n]{0,120}?\bis being deleted/i,
    cause: 'the VolumeAttachment of this volume to this node is still being deleted: an earlier detach has not finished, and the attach cannot start until it does',
    nextStep: 'Look at the deleting VolumeAttachment (kubectl get volumeattachments | grep PV, then -o yaml for its status.detachError) and at the detach-error or volume-attachment-stuck-deleting findings; once the detach completes the attach proceeds. Do not remove its finalizer while the volume may still be attached.',
    confidence: 'high',
  },
  {
    id: 'volume-being-deleted',
    match: /\b(?:persistent ?volume(?:claim)?|PVC?|volume|claim)\b[^\n]{0,200}?\bis (?:marked for deletion|being deleted)\b/i,
    cause: 'the PersistentVolume or claim is being deleted, so the attacher or provisioner refuses to use it',
    nextStep: 'Find out who deleted it (kubectl get pv,pvc -o custom-columns=NAME:.metadata.name,DELETING:.metadata.deletionTimestamp,FINALIZERS:.metadata.finalizers); recreate the workload\'s claim if the deletion was intended. Do not remove finalizers while a pod or VolumeAttachment still uses the volume.',
    confidence: 'high',
  },
  {
    id: 'operation-in-progress',
    match: /\boperation with (?:the )?given (?:volume |snapshot )?id \S+ already exists|operation (?:for|on) (?:volume )?\S+ (?:is )?already (?:exists|in progress)|\boperation already exists\b|operation with that name is already executing|operation [^\n]{0,80}? is already in progress/i,
    cause: 'the driver is still busy with an earlier operation on this volume (an earlier call timed out on the caller\'s side but is still running in the driver)',
    nextStep: `Usually transient: the caller retries with backoff. If it lasts more than a few minutes, the earlier operation is stuck: look at ${LOGS} for the hanging call (often an unreachable storage backend).`,
    confidence: 'high',
  },
  {
    id: 'multi-attach',
    match: /Multi-Attach error|already exclusively attached to one node|exclusively attached/i,
    cause: 'the volume is ReadWriteOnce and still attached to another node; the attach/detach controller will not attach it to a second node',
    nextStep: 'Find the node that holds it (kubectl get volumeattachments | grep PV) and the pod there; once that pod is gone and the volume detached, the attach proceeds. If that node is down, see the node-down findings.',
    confidence: 'high',
  },
  {
    id: 'storageclass-not-found',
    match: /storageclass(?:\.storage\.k8s\.io)? "?[^"\s]*"? not found/i,
    cause: 'the claim names a StorageClass that does not exist',
    nextStep: 'List the classes (kubectl get storageclass) and recreate the claim with an existing one (storageClassName cannot be changed on a claim), or create the missing class.',
    confidence: 'high',
  },
  {
    id: 'no-selected-node',
    match: /no node was specified|selected[- ]node (?:annotation )?(?:is )?(?:missing|not set|empty)|missing selected node/i,
    cause: 'the provisioner creates node-local storage and needs the node the pod was scheduled to, but the claim has none: its StorageClass binds immediately instead of on first use',
    nextStep: 'Use a StorageClass with volumeBindingMode: WaitForFirstConsumer for this provisioner and recreate the claim.',
    confidence: 'high',
  },
  {
    id: 'referenced-object-missing',
    match: /\b(?:configmaps?|secrets?)\s+"[^"]*"\s+not found|object "[^"]*"\/"[^"]*" not registered/i,
    cause: 'the pod mounts a ConfigMap or Secret that does not exist (or not in the pod\'s namespace)',
    nextStep: 'Create the ConfigMap or Secret the message names in the pod\'s namespace, or mark the volume optional: true; the kubelet retries by itself.',
    confidence: 'high',
  },
  {
    id: 'resource-quota',
    match: /is forbidden: exceeded quota|exceeded quota:/i,
    cause: 'a Kubernetes ResourceQuota in the namespace does not allow more claims or storage',
    nextStep: 'kubectl describe resourcequota -n NAMESPACE; free or raise the quota.',
    confidence: 'high',
  },
  {
    id: 'rbac-forbidden',
    match: /is forbidden: User "[^"]*" cannot/i,
    cause: 'a component\'s service account lacks an RBAC permission (the message names the verb and the resource)',
    nextStep: 'Compare the ClusterRole bound to that service account with the driver\'s install manifests for your version, and grant the missing verb (kubectl auth can-i VERB RESOURCE --as=system:serviceaccount:NS:NAME).',
    confidence: 'high',
  },

  // ---- Longhorn --------------------------------------------------------------------------------------------------
  {
    id: 'longhorn-volume-not-ready',
    match: /is not ready for workloads/i,
    cause: 'the Longhorn volume is not ready for workloads: it has no healthy replica (faulted) or its replicas cannot be scheduled',
    nextStep: 'kubectl -n longhorn-system get volumes.longhorn.io VOLUME -o yaml: look at status.robustness and the Scheduled condition; fix the replicas (disk space, node scheduling) or salvage the volume from the Longhorn UI.',
    confidence: 'high',
  },
  {
    id: 'longhorn-attach-timeout',
    match: /attachdetachment timeout|engine [^\n]{0,120}? (?:is )?not (?:ready|running)|waiting for (?:the )?engine/i,
    cause: 'Longhorn did not finish attaching the volume in time: its engine or replicas did not come up healthy',
    nextStep: 'kubectl -n longhorn-system get volumes.longhorn.io,engines.longhorn.io,replicas.longhorn.io | grep VOLUME; look at the longhorn-manager logs on the node; the CSI attacher retries by itself.',
    confidence: 'high',
  },
  {
    id: 'longhorn-replica-error',
    match: /Detected replica \S+(?: \([^)]*\))? in error|replica \S+ (?:is )?(?:in error|failed)/i,
    cause: 'a Longhorn replica of the volume failed; the volume is degraded, or faulted if no healthy replica is left',
    nextStep: 'kubectl -n longhorn-system get replicas.longhorn.io | grep VOLUME; Longhorn rebuilds a degraded volume by itself if a node and disk can take a new replica.',
    confidence: 'high',
  },
  {
    id: 'longhorn-disk-changed',
    match: /has changed file system, please mount it back or remove it|disk [^\n]{0,200}? (?:has )?changed (?:file system|filesystem|disk UUID)/i,
    cause: 'the disk path Longhorn recorded on the node now holds a different file system (the disk was replaced or is not mounted)',
    nextStep: 'Mount the original disk back at that path; if it is gone for good, remove its replicas, remove the disk from the Longhorn node, and add the new disk.',
    confidence: 'high',
  },

  // ---- Cloud and storage backends --------------------------------------------------------------------------------
  {
    id: 'attach-while-detaching',
    match: /AttachDiskWhileBeingDetached|is being detached from|while (?:it is )?being detached/i,
    cause: 'the disk is still being detached from another machine; the cloud refuses to attach it until that finishes',
    nextStep: 'Wait for the detach to finish; if it hangs, check the disk in the cloud console and detach it there once the old machine no longer uses it.',
    confidence: 'high',
  },
  {
    id: 'still-attached',
    match: /already attached to (?:a |an |another |other |the )?(?:server|instance|node|vm|virtual machine|host|machine)|(?:disk|volume)\b[^\n]{0,200}?\b(?:is )?already attached to\b|is (?:still )?attached to (?:another|a different|other) (?:node|instance|vm|server|host)|is still attached to (?:node|instance|vm|server|host)\b|VolumeInUse|\bin-use by\b|currently attached to/i,
    cause: 'the storage backend says the volume is still attached to another machine; it must be detached there before it can be attached (or deleted) here',
    nextStep: 'Find where the backend has it attached (cloud console or backend CLI) and the pod that uses it there; once that pod is gone the detach proceeds. Detach by hand only after confirming that machine no longer writes to it.',
    confidence: 'high',
  },
  {
    id: 'backend-volume-busy',
    match: /actual=busy|volume (?:state|status)[^\n]{0,40}busy|\bvolume \S+ is (?:still )?busy\b/i,
    cause: 'the backend reports the volume busy: the old machine still has it in use, so the detach does not complete',
    nextStep: 'Make sure the old machine has stopped using the volume (its kubelet unmounted it, or the machine is off); then the detach completes. Force-detach in the cloud only once the machine is confirmed stopped.',
    confidence: 'high',
  },
  {
    id: 'attach-limit',
    match: /exceed(?:s|ed)? max volume count|AttachmentLimitExceeded|maximum number of (?:data )?disks|max(?:imum)? (?:number of )?(?:volumes|disks|attachments) (?:per|attached|allowed)|too many (?:volumes|disks) attached|volume attach(?:ment)? limit/i,
    cause: 'the node has reached the number of volumes its instance type or driver can attach',
    nextStep: 'Compare the node\'s CSINode allocatable.count with its attached volumes (kubectl get csinode NODE -o yaml; kubectl get volumeattachments | grep NODE); spread the pods, or use larger instance types.',
    confidence: 'high',
  },
  {
    id: 'cloud-rate-limited',
    match: /RequestLimitExceeded|RateExceeded|(?<![\w-])Throttl(?:ing|ed)(?![\w-])|TooManyRequests|rate limit(?:ed|ing)? (?:exceeded|reached)|\b429\b[^\n]{0,40}Too Many/i,
    cause: 'the cloud API throttled the driver\'s requests (rate limit)',
    nextStep: 'Usually clears by itself with the driver\'s backoff; if it persists, find what floods the cloud API from this account (many volumes changing at once, another controller retrying in a loop).',
    confidence: 'high',
  },
  {
    id: 'cloud-quota',
    match: /QUOTA_EXCEEDED|QuotaExceeded|quota exceeded|exceeded (?:your|the) (?:maximum|quota)|VolumeLimitExceeded|storage limit|SnapshotLimitExceeded|OperationNotAllowed[^\n]{0,200}quota|LimitExceeded/i,
    cause: 'a cloud account quota is exhausted (disks, total disk size, snapshots) in this region or project',
    nextStep: 'Check the quota named in the message in the cloud console, delete unused disks or snapshots, or request a higher quota; the provisioner or attacher retries by itself.',
    confidence: 'high',
  },
  {
    id: 'zone-mismatch',
    match: /ZoneMismatch|zone mismatch|not in the same (?:availability )?zone|must be in the same zone|in a different (?:availability )?zone|(?:disk|volume)[^\n]{0,120}zone[^\n]{0,80}(?:does not match|differs)/i,
    cause: 'the disk is in a different zone than the node: a zonal disk can only attach to machines in its own zone',
    nextStep: 'Schedule the pod to a node in the disk\'s zone (the PV\'s spec.nodeAffinity names it); use a StorageClass with volumeBindingMode: WaitForFirstConsumer so new disks are created where the pod runs.',
    confidence: 'high',
  },
  {
    id: 'disk-type-incompatible',
    match: /disk type cannot be used by|(?:disk|storage|volume)(?: account)? type[^\n]{0,80}(?:not supported|cannot be used|is not compatible|incompatible)|not supported (?:by|for) (?:the |this )?(?:VM|instance|machine) (?:size|type)|(?:VM|instance|machine) (?:size|type)[^\n]{0,60}does not support/i,
    cause: 'the disk type of the volume cannot be used with this node\'s machine type',
    nextStep: 'Use a StorageClass whose disk type the machine type supports (the message names both), or run the pod on nodes of a compatible machine type; a disk\'s type usually cannot be changed in place.',
    confidence: 'high',
  },
  {
    id: 'local-path-missing',
    match: /path "[^"]+" does not exist|(?:local|host) ?path[^\n]{0,120}(?:does not exist|no such file)/i,
    cause: 'the directory the volume points at does not exist as the kubelet sees it (missing on the node, or the kubelet runs in a container that does not see that host path)',
    nextStep: 'Create the directory on the node the PV\'s nodeAffinity names, or fix the PV path; if the kubelet runs in a container, use the path as that container sees it.',
    confidence: 'high',
  },
  {
    id: 'backend-volume-not-found',
    match: /RESOURCE_NOT_FOUND|\/disks\/[^\s']+'? was not found|InvalidVolume\.NotFound|ResourceNotFound|not registered as (?:a )?CNS volume|Failed to retrieve datastore|\b(?:disk|volume|image)s? (?:["'][^"'\n]*["'] |\S+ )?(?:was not found|does not exist|not found|could not be found)\b/i,
    cause: 'the storage backend cannot find the volume: it was deleted or moved, or the backend no longer knows it',
    nextStep: 'Look the volume up in the backend by the PV\'s volumeHandle (kubectl get pv PV -o jsonpath=\'{.spec.csi.volumeHandle}\'); if it is gone, restore it from backup, since the PV cannot work without it.',
    confidence: 'high',
  },

  // ---- The node: block devices, file systems, mount helpers --------------------------------------------------
  {
    id: 'rbd-image-in-use',
    match: /rbd image \S+ is still being used|rbd:?[^\n]{0,120}?(?:has )?watchers|image [^\n]{0,120}? has watchers|still has watchers/i,
    cause: 'the Ceph RBD image is still in use by another client (a watcher holds it, often a stale one from a node that is gone)',
    nextStep: 'rbd status POOL/IMAGE lists the watchers; if the watcher\'s machine no longer uses the image, unmap it there or block-list that client (ceph osd blocklist add ADDR) so the image can be mapped here.',
    confidence: 'high',
  },
  {
    id: 'iscsi-login-failed',
    match: /iscsiadm|iscsi[^\n]{0,80}(?:login|log in|session)|(?:login|log in)[^\n]{0,60}(?:target|portal)|Could not log ?into all portals|ISCSI_ERR/i,
    cause: 'the node could not log in to the iSCSI target (portal unreachable, wrong initiator name or CHAP credentials, or iscsid not running on the node)',
    nextStep: 'On the node: iscsiadm -m discovery -t sendtargets -p PORTAL and systemctl status iscsid; check the target allows this node\'s initiator name (/etc/iscsi/initiatorname.iscsi).',
    confidence: 'high',
  },
  {
    id: 'command-timeout',
    match: /(?:process|command) (?:was )?killed after timeout|killed after timeout/i,
    cause: 'a command the CSI node plugin ran to stage the volume (iSCSI login, mkfs, mount) did not finish in time and was killed: the storage or the network to it is usually unresponsive',
    nextStep: `Check the storage backend and the node's connection to it; ${LOGS} show which command hung.`,
    confidence: 'high',
  },
  {
    id: 'tool-missing',
    match: /executable file not found in \$PATH|: command not found|\bnot found in PATH\b/i,
    cause: (f) => {
      const named = /\b(resize2fs|xfs_growfs|mkfs\.\w+|fsck\.\w+|e2fsck|iscsiadm|multipath|mount\.\w+|blkid|cryptsetup|nvme)\b/.exec(f.message)?.[1];
      return `a tool the driver runs${named ? ` (${named})` : ''} is not installed in the driver's container or on the node`;
    },
    nextStep: 'Install the tool in the driver image or on the node (or use a driver version that ships it); the operation is retried by itself.',
    confidence: 'high',
  },
  {
    id: 'mount-helper-missing',
    match: (f) => /you might need a \/sbin\/mount\.<type> helper program|mount\.(?:nfs4?|cifs|ceph|glusterfs|fuse\.\w+)\S*: (?:not found|No such file)|missing codepage or helper program/i.test(f.text)
      && (isNfs(f) || /-t (?:cifs|smb3?|glusterfs|ceph)\b|\/\/[^\s/]+\//i.test(f.message) || /(?:unknown filesystem type|No such file)/i.test(f.text)),
    cause: 'the node lacks the mount helper for this file system type (mount.nfs from nfs-common/nfs-utils, mount.cifs from cifs-utils)',
    nextStep: 'Install the helper on every node that may run the pod (apt-get install nfs-common, or yum install nfs-utils; cifs-utils for SMB); the kubelet retries by itself.',
    confidence: 'high',
  },
  {
    id: 'resize-read-only',
    match: /NodeExpandVolume failed[^\n]{0,300}requested read-only file system/i,
    cause: 'the volume is mounted read-only in the pod, so the kubelet will not grow its file system',
    nextStep: 'Mount the claim read-write in one pod (readOnly: false in the pod\'s volume and volumeMount) so the kubelet can finish the file system resize; the read-only pods can follow.',
    confidence: 'high',
  },
  {
    id: 'online-resize-refused',
    match: /resize2fs: Permission denied to resize filesystem|errors in the filesystem, so online resizing is not allowed|online resiz\w* (?:is )?not allowed/i,
    cause: 'the kernel refused to grow the mounted file system; this usually means the file system has recorded errors and needs a check first',
    nextStep: 'Stop the pod(s) using the claim, run a file system check on the device (e2fsck -f) from the node or a maintenance pod, then start the pod again so the resize completes.',
    confidence: 'high',
  },
  {
    id: 'filesystem-unreadable',
    match: /can'?t read superblock|bad superblock|wrong fs type|structure needs cleaning|EXT4-fs error|XFS[^\n]{0,40}(?:corruption|Corruption)|filesystem (?:has|had|with) errors|UNEXPECTED INCONSISTENCY|run fsck/i,
    cause: 'the file system on the volume cannot be mounted: it is damaged, or not the type the volume declares (or the device is not a formatted volume)',
    nextStep: 'Do not reformat. From the node, check the device read-only (blkid DEVICE; fsck -n DEVICE); repair it with the pod stopped, or restore from a snapshot or backup.',
    confidence: 'high',
  },
  {
    id: 'offline-expansion-only',
    // In an expansion, FailedPrecondition is the CSI spec's "volume in use, and the plugin lacks ONLINE expansion":
    // the external-resizer and the kubelet both treat it so (they stop retrying while a pod uses the volume).
    match: (f) => /offline (?:volume )?expansion|only offline|online (?:volume )?(?:expansion|resiz\w*) (?:is )?not supported|(?:expand|resize)\w*[^\n]{0,120}(?:while|when) (?:the volume is )?(?:attached|in use|published)/i.test(f.text)
      || (f.phase === 'resize' && f.code === 'FailedPrecondition'),
    cause: 'the driver can only expand a volume that is detached (offline expansion), and the volume is in use',
    nextStep: 'Scale the workload using the claim to zero so the volume detaches; the resizer retries, then start the workload again.',
    confidence: 'high',
  },

  // ---- NFS (mount.nfs outputs, as the kubelet quotes them) ---------------------------------------------------
  {
    id: 'nfs-stale-file-handle',
    match: all(isNfs, has(/Stale file handle/i)),
    cause: 'stale file handle: the export was removed or re-created on the server while it was mounted',
    nextStep: 'Re-export the directory on the server (or restore it), then delete the pod so the kubelet mounts it afresh; on the node, umount -f the stale mount if it lingers.',
    confidence: 'high',
  },
  {
    id: 'nfs-access-denied',
    match: all(isNfs, has(/access denied by server/i)),
    cause: 'access denied by the server: the export does not allow this node (check /etc/exports client list, root squash and NFS version)',
    nextStep: 'Allow the node\'s address in the server\'s export list (exportfs -v on the server), then the kubelet retries by itself.',
    confidence: 'high',
  },
  {
    id: 'nfs-unreachable',
    match: all(isNfs, has(/No route to host|Network is unreachable/i)),
    cause: 'the NFS server is unreachable from the node (no route to host)',
    nextStep: 'Check the server is up and reachable from the node (firewall, security groups, routing on port 2049).',
    confidence: 'high',
  },
  {
    id: 'nfs-connection-refused',
    match: all(isNfs, has(/Connection refused/i)),
    cause: 'the NFS server refused the connection (is the NFS service running?)',
    nextStep: 'Start the NFS service on the server and check it listens on port 2049.',
    confidence: 'high',
  },
  {
    id: 'nfs-timeout',
    match: all(isNfs, has(/Connection timed out|\btimed out\b/i)),
    cause: 'the NFS server does not answer (connection timed out)',
    nextStep: 'Check the server is up and reachable from the node on port 2049; consider the soft and timeo mount options so a dead server cannot hang the kubelet.',
    confidence: 'high',
  },

  // ---- Unmount on the node -----------------------------------------------------------------------------------
  {
    id: 'unmount-busy',
    match: /device or resource busy|target is busy|(?<![\w-])EBUSY(?![\w-])/i,
    cause: 'the mount point or device is still in use on the node (a process, a container that did not exit, or another mount holds it)',
    nextStep: 'On the node: findmnt and fuser -vm MOUNTPOINT (or lsof +f -- MOUNTPOINT) show the holder; stop it, and the kubelet retries the unmount. Do not umount -l a block volume that is still being written.',
    confidence: 'high',
  },

  // ---- Generic phrases -----------------------------------------------------------------------------------------
  {
    id: 'driver-unreachable',
    match: /dial unix [^\s:]*\.sock|csi\.sock[^\n]{0,80}(?:no such file|connection refused)|transport: Error while dialing dial unix/i,
    cause: 'the CSI driver\'s socket cannot be reached: the driver container is not running or is restarting',
    nextStep: 'Check the CSI driver pods (kubectl get pods -A -o wide | grep -i csi) and their restarts and logs.',
    confidence: 'medium',
  },
  {
    id: 'insufficient-capacity',
    match: /insufficient (?:storage|capacity|space|disk)|no space left on device|not enough (?:space|capacity|storage)|out of (?:space|capacity)|No available disk candidates|InsufficientCapacity|\bENOSPC\b/i,
    cause: 'the storage has no room for the volume (backend pool, disks of the nodes, or the file system is full)',
    nextStep: 'Free or add capacity in the storage backend (or on the node\'s disks); the provisioner or driver retries by itself.',
    confidence: 'medium',
  },
  {
    id: 'permission-denied',
    match: /permission denied|access denied|AccessDenied|UnauthorizedOperation|not authori[sz]ed|(?<![\w-])forbidden(?![\w-])|insufficient permission|(?<![\w-])Unauthenticated(?![\w-])|authentication failed|invalid credentials/i,
    cause: (f) => f.phase === 'mount'
      ? 'the node or the storage refused access: file permissions, SELinux/AppArmor, or the credentials in the driver\'s secret'
      : 'the driver\'s credentials (cloud IAM role, the secret named in the StorageClass) do not allow this operation',
    nextStep: (f) => f.phase === 'mount'
      ? 'Check the credentials secret the PV or StorageClass names, and on the node the audit log for SELinux/AppArmor denials (journalctl -k).'
      : 'Check the IAM role or secret the driver uses against the permissions its documentation lists for this operation.',
    confidence: 'medium',
  },
  {
    id: 'backend-unreachable',
    match: /connection refused|no route to host|network is unreachable|i\/o timeout|connection reset by peer|dial tcp|no such host|TLS handshake timeout/i,
    cause: 'a network connection failed: the driver cannot reach its storage backend or API endpoint',
    nextStep: 'Check the backend is up and reachable from the driver pods (endpoint, DNS, firewall); the operation is retried by itself.',
    confidence: 'medium',
  },
  {
    id: 'timeout',
    match: /timed out waiting for the condition|context deadline exceeded|\bdeadline exceeded\b|\btimed out\b|\btimeout expired\b/i,
    cause: 'the operation did not finish in time: the driver or its storage backend is slow or unreachable; it may still complete in the background',
    nextStep: `Usually retried by itself; if it keeps failing, look at ${LOGS} and the backend's health.`,
    confidence: 'medium',
  },

  // ---- Bare gRPC status codes ----------------------------------------------------------------------------------
  {
    id: 'grpc-deadline-exceeded',
    match: codeIs('DeadlineExceeded'),
    cause: 'the driver did not answer within the caller\'s timeout; the operation may still be running in the backend',
    nextStep: `Usually retried by itself; if it keeps failing, look at ${LOGS} and the backend's health.`,
    confidence: 'low',
  },
  {
    id: 'grpc-aborted',
    match: codeIs('Aborted'),
    cause: 'the driver aborted the call: another operation on the same volume is in progress, or the volume is not yet in a state that allows it',
    nextStep: `Usually transient; if it persists, ${LOGS} show what the volume is waiting for.`,
    confidence: 'low',
  },
  {
    id: 'grpc-not-found',
    match: codeIs('NotFound'),
    cause: (f) => f.phase === 'attach' || f.phase === 'detach'
      ? 'the backend cannot find the volume or the node\'s machine named in the call (deleted, or a wrong node ID)'
      : 'the backend or the node cannot find the volume or path named in the call',
    nextStep: 'Compare the PV\'s volumeHandle and the node\'s ID in the CSINode with what the backend holds.',
    confidence: 'low',
  },
  {
    id: 'grpc-resource-exhausted',
    match: codeIs('ResourceExhausted'),
    cause: (f) => f.phase === 'attach'
      ? 'the node or backend has no room for another attachment (volume limit per node reached)'
      : 'the backend has run out of a resource (capacity, quota or a limit)',
    nextStep: 'Check the backend\'s capacity and limits, and the node\'s attached volumes against its CSINode allocatable.count.',
    confidence: 'low',
  },
  {
    id: 'grpc-failed-precondition',
    match: codeIs('FailedPrecondition'),
    cause: 'the volume is not in the state the operation needs (for example still attached or in use elsewhere, or has snapshots)',
    nextStep: 'Read the desc part of the message for the state the driver expects, and bring the volume there (usually: stop what still uses it).',
    confidence: 'low',
  },
  {
    id: 'grpc-already-exists',
    match: codeIs('AlreadyExists'),
    cause: 'an object with the same name already exists in the backend with incompatible parameters',
    nextStep: 'Find the existing volume in the backend by name; delete it only if nothing uses it.',
    confidence: 'low',
  },
  {
    id: 'grpc-invalid-argument',
    match: codeIs('InvalidArgument', 'OutOfRange'),
    cause: 'the driver rejected the request\'s parameters (StorageClass parameters, size, access mode, or the node ID)',
    nextStep: 'Compare the StorageClass parameters, the claim\'s size and access modes with what the driver documents.',
    confidence: 'low',
  },
  {
    id: 'grpc-unimplemented',
    match: codeIs('Unimplemented'),
    cause: 'the driver does not implement this operation (for example expansion, or attach for a driver that needs none)',
    nextStep: 'Check the driver\'s capabilities and its CSIDriver object (attachRequired); expansion needs a driver that supports it.',
    confidence: 'low',
  },
  {
    id: 'grpc-permission-denied',
    match: codeIs('PermissionDenied', 'Unauthenticated'),
    cause: 'the driver\'s credentials do not allow this operation',
    nextStep: 'Check the IAM role or secret the driver uses.',
    confidence: 'low',
  },
  {
    id: 'grpc-unavailable',
    match: codeIs('Unavailable'),
    cause: 'the driver or its backend is not available (the driver restarting, or the backend API down)',
    nextStep: 'Check the CSI driver pods (kubectl get pods -A | grep -i csi) and the backend; the call is retried.',
    confidence: 'low',
  },
  {
    id: 'grpc-internal',
    match: codeIs('Internal', 'Unknown', 'DataLoss'),
    cause: 'the driver reported an internal error; the text after desc = is the driver\'s own description',
    nextStep: `Read the desc part of the message and ${LOGS} around that time.`,
    confidence: 'low',
  },

  // ---- Bare kubelet operations ---------------------------------------------------------------------------------
  {
    id: 'wait-for-attach-failed',
    match: /WaitForAttach failed/i,
    cause: 'the volume was reported attached, but the kubelet\'s volume plugin could not find or use the device on the node',
    nextStep: 'On the node: lsblk and ls -l /dev/disk/by-id to see whether the device is there; the kubelet log shows what the plugin looked for.',
    confidence: 'low',
  },
  {
    id: 'teardown-failed',
    match: /UnmountVolume\.TearDown failed|UnmountDevice failed|Unmounter\.TearDownAt failed/i,
    cause: 'the kubelet could not unmount the volume of a pod that has stopped; the volume stays mounted on the node and cannot be detached until it is',
    nextStep: 'On the node: findmnt | grep PV shows the mount; the kubelet log says why the unmount fails.',
    confidence: 'low',
  },
];

/**
 * Messages that carry no cause: the kubelet's "gave up waiting this round" summary and the controllers' progress
 * messages. They are deliberately not classified (the finding that quotes them points at the real error instead).
 */
const NO_CAUSE: readonly RegExp[] = [
  /^\s*Unable to (?:attach or )?mount volumes(?: for pod)?\b[^\n]{0,1000}?(?:unmounted volumes|unattached volumes)[^\n]{0,1000}?(?:timed out waiting for the condition|context deadline exceeded|timeout expired waiting for volumes)/i,
  /^\s*Unable to (?:attach or )?mount volumes for pod [^\n]{0,1000}?timeout expired waiting for volumes to attach or mount/i,
  /^\s*waiting for a volume to be created,? either by external provisioner/i,
  /^\s*waiting for first consumer to be created before binding\s*$/i,
  /^\s*waiting for an external controller to expand this PVC\s*$/i,
];

/**
 * Blank quoted names ("pvc-timeout-1", \"node-denied\") so a name cannot match a phrase. Only lower-case
 * Kubernetes-style names are blanked: quoted error codes such as "AttachDiskWhileBeingDetached" carry meaning.
 */
function blankNames(message: string): string {
  return message.replace(/(\\?")([a-z0-9][a-z0-9._:/-]{0,252})\1/g, '$1…$1');
}

function facts(message: string, context: ClassifyContext = {}): MessageFacts {
  const grpc = parseGrpc(message);
  return { message, text: blankNames(message), code: grpc?.code, desc: grpc?.desc, phase: context.phase, nfs: !!context.nfs };
}

const resolve = (t: Text, f: MessageFacts) => (typeof t === 'string' ? t : t(f));

/** Turn a raw volume error message into a cause and a safe next step; `undefined` means "not classified". */
export function classifyVolumeMessage(message: string, context: ClassifyContext = {}): VolumeMessageClass | undefined {
  if (!message || NO_CAUSE.some((re) => re.test(message))) return undefined;
  const f = facts(message, context);
  for (const rule of RULES) {
    const hit = typeof rule.match === 'function' ? rule.match(f) : rule.match.test(f.text);
    if (!hit) continue;
    return { id: rule.id, cause: resolve(rule.cause, f), nextStep: resolve(rule.nextStep, f), confidence: rule.confidence, ...(f.code ? { code: f.code } : {}) };
  }
  return undefined;
}

/** The evidence line every finding adds under the quoted message: what volume-doctor makes of it, or that it does not know it. */
export function classificationLine(c: VolumeMessageClass | undefined): string {
  if (!c) return 'cause: not classified (volume-doctor does not recognise this message; the message above is quoted as the cluster shows it)';
  return `cause (${c.id}${c.code ? `, gRPC ${c.code}` : ''}, ${c.confidence} confidence): ${c.cause}`;
}
