import { defineCheck, type FindingDraft } from './check.js';
import type { KubeletFact, KubeletPodFact, ObjectRef } from '../model/snapshot.js';
import type { Graph } from '../graph.js';
import { nodeRef, pvRef, pvcRef } from '../util/refs.js';
import { finding } from './common.js';

const ID = 'orphaned-pod-volumes';

/** The kubelet's default --root-dir; a node may use another. */
const PODS_DIR = '/var/lib/kubelet/pods';

const NEVER = `Never remove a pod's directory under ${PODS_DIR} while a volume in it is still mounted: for NFS and other shared file systems that deletes the data on the server, for everyone.`;

function ghostPodFinding(graph: Graph, kubelet: KubeletFact, pod: KubeletPodFact): FindingDraft {
  const node = kubelet.node;
  const related: ObjectRef[] = [nodeRef(node)];
  for (const claim of pod.claims) {
    related.push(pvcRef({ namespace: pod.namespace, name: claim }));
    const pvName = graph.pvc(pod.namespace, claim)?.volumeName;
    if (pvName) related.push(pvRef(pvName));
  }
  const replacement = pod.api === 'replaced' ? graph.pod(pod.namespace, pod.name) : undefined;
  const evidence = [
    `the kubelet on ${node} lists pod ${pod.namespace}/${pod.name} (uid ${pod.uid}) in its /pods: it still runs it, with ${pod.volumes.join(', ')}`,
    pod.apiDetail ?? `the API server no longer has pod ${pod.namespace}/${pod.name} (uid ${pod.uid})`,
  ];
  if (replacement?.nodeName && replacement.nodeName !== node) {
    evidence.push(`its replacement ${pod.namespace}/${pod.name} (uid ${replacement.uid}) is on ${replacement.nodeName}: two copies may write to the same volumes`);
  }
  evidence.push(kubelet.reachDetail);
  return finding({
    severity: 'critical',
    subject: { kind: 'Pod', namespace: pod.namespace, name: pod.name },
    idSuffix: pod.uid,
    related,
    summary: `Pod ${pod.namespace}/${pod.name} was deleted from the API, but the kubelet on ${node} still runs it with its volumes mounted (${pod.volumes.join(', ')})`,
    evidence,
    explanation: `The pod was deleted without its kubelet (force-deleted, or removed by pod garbage collection after the out-of-service taint) while the kubelet could not hear from the API server. The kubelet never learned of the deletion, so its containers still run and can still write to the volumes${replacement ? ', while the replacement pod uses them too' : ''}. An NFS or other shared volume is not attachable, so no VolumeAttachment or node status shows this; only the kubelet's own view does.`,
    remedies: [
      `Confirm on ${node}: crictl pods --namespace ${pod.namespace} --name ${pod.name}; findmnt -rn -o TARGET | grep ${PODS_DIR}/${pod.uid}`,
      `Restore the kubelet's connection to the API server (its client certificate, the network path): it then sees that the pod is gone, stops its containers and unmounts its volumes by itself.`,
      `If that cannot wait: stop the pod on ${node} (crictl stopp POD-ID, then crictl rmp POD-ID), unmount what is still mounted under ${PODS_DIR}/${pod.uid}/volumes, and let the kubelet remove the directories; restart the kubelet only after the unmount.`,
      NEVER,
    ],
  });
}

const UID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
/** A path the line names under a pod's volumes directory (rmdir errors, CSI TearDownAt errors, mount-utils output). */
const VOLUME_PATH = new RegExp(`/\\S*?/pods/(${UID})/volumes/[^\\s"\\\\:\\]…]+`, 'g');
/** The volume manager's unmount failure: UniqueName "kubernetes.io/<plugin>/..." of pod "<uid>" (quotes escaped in older logs). */
const TEARDOWN = new RegExp(`UnmountVolume\\.TearDown failed for volume \\\\?"[^"\\\\]*\\\\?" \\(UniqueName: \\\\?"([^"\\\\]+)\\\\?"\\) pod \\\\?"(${UID})`);
/** podVolumesExist's error: the kubelet could not even tell whether the pod's volumes are mounted. */
const CHECK_FAILED = new RegExp(`podUID="(${UID})"`);
/** The kubelet's own verdict that a pod is orphaned (its housekeeping sweep); other lines may be about a pod it still has. */
const ORPHAN_VERDICT = /[Oo]rphaned pod/;

/**
 * The volume directories the kubelet's log lines say it cannot clean, for pods that are orphaned: pods the kubelet
 * itself no longer has (not in its /pods) and the API did not list. An unmount failure of a pod the kubelet still
 * has is a teardown in progress, not a leftover; when its /pods could not be read, only the kubelet's own "orphaned
 * pod" lines count. An in-tree plugin's directory follows from the unique name (kubernetes.io/nfs/<uid>-<volume>); a
 * CSI volume's directory is named after its PersistentVolume, which the unique name does not carry, so the plugin
 * directory is given. A path cut short where the line was shortened (…) is not a path.
 */
function leftoverPaths(kubelet: KubeletFact, apiUids: ReadonlySet<string>): string[] {
  const kubeletUids = kubelet.pods && new Set(kubelet.pods.map((p) => p.uid));
  const paths: string[] = [];
  for (const line of kubelet.logLines ?? []) {
    const orphaned = (uid: string) => !apiUids.has(uid) && (kubeletUids ? !kubeletUids.has(uid) : ORPHAN_VERDICT.test(line));
    const named = [...line.matchAll(VOLUME_PATH)].filter((m) => orphaned(m[1]) && line[m.index + m[0].length] !== '…').map((m) => m[0]);
    if (named.length) {
      paths.push(...named);
      continue;
    }
    const teardown = TEARDOWN.exec(line);
    if (teardown) {
      const [, unique, uid] = teardown;
      if (!orphaned(uid)) continue;
      const inTree = /^kubernetes\.io\/([a-z0-9-]+)\/(.+)$/.exec(unique);
      if (inTree && inTree[1] !== 'csi' && inTree[2].startsWith(`${uid}-`)) paths.push(`${PODS_DIR}/${uid}/volumes/kubernetes.io~${inTree[1]}/${inTree[2].slice(uid.length + 1)}`);
      else paths.push(`${PODS_DIR}/${uid}/volumes/${inTree ? `kubernetes.io~${inTree[1]}/` : ''}`);
      continue;
    }
    const unchecked = line.includes('error occurred during checking mounted volumes') ? CHECK_FAILED.exec(line) : null;
    if (unchecked && orphaned(unchecked[1])) paths.push(`${PODS_DIR}/${unchecked[1]}/volumes/`);
  }
  return [...new Set(paths)];
}

function cleanupFailingFinding(graph: Graph, kubelet: KubeletFact, errors: number): FindingDraft {
  const node = kubelet.node;
  const evidence = [`kubelet_orphan_pod_cleaned_volumes_errors ${errors} in the /metrics of the kubelet on ${node}: orphaned pods whose volumes it failed to clean in its last sweep`];
  for (const v of kubelet.metrics?.volumes ?? []) {
    if (v.actual > v.desired) evidence.push(`volume_manager_total_volumes for ${v.plugin}: ${v.actual} mounted (actual_state_of_world), ${v.desired} wanted by its pods (desired_state_of_world)`);
  }
  for (const f of kubelet.metrics?.failedOperations ?? []) evidence.push(`storage_operation_duration_seconds_count{volume_plugin="${f.plugin}",operation_name="${f.operation}",status="fail-unknown"} ${f.count}`);
  for (const line of kubelet.logLines ?? []) evidence.push(`kubelet log: ${line}`);
  evidence.push(...kubelet.notes);
  const paths = leftoverPaths(kubelet, new Set(graph.snapshot.pods.map((p) => p.uid)));
  return finding({
    severity: 'warning',
    subject: nodeRef(node),
    summary: `The kubelet on ${node} cannot clean up the volumes of ${errors} orphaned pod${errors === 1 ? '' : 's'}: ${paths.length ? `${paths.map((p) => (p.endsWith('/') ? `a volume under ${p}` : p)).join(', ')} ${paths.length === 1 ? 'is' : 'are'}` : 'their volume directories are'} still mounted or busy`,
    evidence,
    explanation: `A pod that is gone from the API left its directory under ${PODS_DIR} on ${node}. Every few seconds the kubelet removes such directories, but only once nothing in them is mounted; a volume that is still mounted (an NFS mount the kubelet never unmounted, often after the pod was force-deleted while the kubelet was down or cut off, or a CSI volume whose unmount failed) keeps it there. Nothing in the API shows it.`,
    remedies: [
      `Confirm on ${node}: findmnt -rn -o TARGET | grep ${PODS_DIR}/ and compare the pod uids with kubectl get pods -A --field-selector spec.nodeName=${node} -o custom-columns=UID:.metadata.uid${kubelet.logLines?.length ? '' : `; the kubelet's log names the volumes it fails to unmount: journalctl -u kubelet | grep -E 'UnmountVolume.TearDown failed|orphaned pod' (a volume that is simply still mounted is logged only at -v=3)`}`,
      `Unmount each volume that belongs to no current pod (umount ${paths.find((p) => !p.endsWith('/')) ?? `${PODS_DIR}/UID/volumes/PLUGIN/VOLUME`}; for an NFS server that is gone, umount -f -l); the kubelet then removes the directories in its next sweep. Restart the kubelet only after the unmount.`,
      NEVER,
    ],
  });
}

export const orphanedPodVolumes = defineCheck({
  id: ID,
  title: 'Volumes of a pod gone from the API, still mounted on its node',
  severity: 'critical',
  reads: ['pods', 'nodes', 'nodes/proxy'],
  docs: `The kubelet of a node still holds the volumes of a pod the API server no longer has. Found by asking the kubelet itself through the API server's node proxy (nodes/proxy permission), for the nodes other findings point at, nodes whose kubelet answers while their status is stale, and nodes that came back within the hour:
  - its /pods lists a pod (with volumes that outlive it: claims, NFS, CSI, iSCSI, ...) for which the API answers 404, or whose name now belongs to another uid: critical, the containers may still write;
  - its /metrics report kubelet_orphan_pod_cleaned_volumes_errors above 0 (Kubernetes 1.27 and later): orphaned pod directories it cannot remove because a volume is still mounted. volume_manager_total_volumes (mounted vs wanted, by plugin), failed storage operations, and where the node log query is enabled (NodeLogQuery, beta and off by default since 1.30) the kubelet's own lines are quoted: the volume manager's "UnmountVolume.TearDown failed" retries and cleanup's "orphaned pod ... found, but ..." errors (a volume that is simply still mounted, the usual case, is logged only at -v=3: the metric is the dependable sign). The summary names the leftover directories these lines point at.

How Kubernetes gets there: a pod is force-deleted (or removed by pod GC after the out-of-service taint) while its kubelet is down or cut off from the API server. The kubelet never learns of the deletion, or comes back and cannot unmount (an NFS server that hangs, a CSI unmount that fails). NFS volumes are not attachable, so no VolumeAttachment or node.status.volumesInUse shows them.

Confirm by hand:
  kubectl get --raw /api/v1/nodes/NODE/proxy/pods
  kubectl get --raw /api/v1/nodes/NODE/proxy/metrics | grep -E 'orphan_pod|volume_manager_total_volumes'
  on the node: findmnt -rn -o TARGET | grep ${PODS_DIR}/

Safe fix: let the kubelet finish: restore its connection to the API server, or unmount the leftover volume by hand (umount PATH); the kubelet then removes the pod's directory in its next sweep. Restart the kubelet only after the unmount.

Never: remove a pod directory under ${PODS_DIR} that still has a volume mounted (rm -rf on an NFS mount deletes the data on the server), or start another writer on a volume the orphaned pod still writes to.`,
  run(graph) {
    const findings: FindingDraft[] = [];
    for (const kubelet of graph.snapshot.kubelets ?? []) {
      for (const pod of kubelet.pods ?? []) {
        if (pod.api === 'gone' || pod.api === 'replaced') findings.push(ghostPodFinding(graph, kubelet, pod));
      }
      const errors = kubelet.metrics?.orphanCleanupErrors ?? 0;
      if (errors > 0) findings.push(cleanupFailingFinding(graph, kubelet, errors));
    }
    return findings;
  },
});
