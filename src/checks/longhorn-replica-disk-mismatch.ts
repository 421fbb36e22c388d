import { defineCheck, type FindingDraft } from './check.js';
import { LONGHORN_NAMESPACE } from '../model/kubernetes-names.js';
import { finding } from './common.js';
import { pvOfLonghornVolume, waitingPodsOf } from './longhorn-common.js';
import { podRef, shortName } from '../util/refs.js';

const ID = 'longhorn-replica-disk-mismatch';

export const longhornReplicaDiskMismatch = defineCheck({
  id: ID,
  title: 'Longhorn replica points at a disk UUID its node no longer has',
  severity: 'critical',
  reads: ['replicas.longhorn.io', 'nodes.longhorn.io', 'volumes.longhorn.io'],
  docs: `A Longhorn replica is stopped or failed, and its spec.diskID matches no disk UUID in its node's status.diskStatus. This is the rolling-upgrade story: a node upgrade reformatted (or re-created) a disk, the disk got a new UUID, and replicas that still point at the old UUID stay stopped. Their volumes then hang in attaching.

How Kubernetes gets there: Longhorn identifies each disk by a UUID it writes to the disk, and each replica records the UUID of the disk it lives on (spec.diskID). When an upgrade or re-provisioning of the node formats or replaces the disk at that path, Longhorn sees a new disk with a new UUID; the replicas that name the old UUID have no disk to run on, so they stay stopped, and a volume whose every replica is in that state cannot attach.

Confirm by hand:
  kubectl -n longhorn-system get replicas.longhorn.io NAME -o jsonpath='{.spec.nodeID} {.spec.diskID} {.status.currentState}'
  kubectl -n longhorn-system get nodes.longhorn.io NODE -o jsonpath='{.status.diskStatus}'

Safe fix: if the volume has a healthy replica elsewhere, let Longhorn rebuild: remove the stale replica from the volume in the Longhorn UI (or delete that one replica object) once another replica is healthy. If the old disk's data still exists, re-add the disk at its old path so the UUID matches again.

Never: delete the last replica of a volume, or all of them at once.`,
  run(graph) {
    const lh = graph.snapshot.longhorn;
    if (!lh) return [];
    const findings: FindingDraft[] = [];
    for (const r of lh.replicas) {
      const broken = r.currentState === 'stopped' || r.currentState === 'error' || !!r.failedAt;
      if (!broken || !r.diskID) continue;
      const node = lh.nodes.find((n) => n.name === r.nodeID);
      if (!node || node.disks.some((d) => d.diskUUID === r.diskID)) continue;
      const volume = lh.volumes.find((v) => v.name === r.volumeName);
      if (graph.snapshot.namespace !== undefined && volume?.pvcNamespace !== graph.snapshot.namespace) continue;
      const sameDisk = node.disks.find((d) => r.diskPath && d.path === r.diskPath) ?? (node.disks.length === 1 ? node.disks[0] : undefined);
      const healthyOthers = lh.replicas.filter((o) => o.volumeName === r.volumeName && o.name !== r.name && o.currentState === 'running' && !o.failedAt);
      const waiting = volume ? waitingPodsOf(graph, pvOfLonghornVolume(graph, volume)) : [];
      findings.push(finding({
        severity: healthyOthers.length === 0 || waiting.length ? 'critical' : 'warning',
        subject: { kind: 'Replica.longhorn.io', namespace: LONGHORN_NAMESPACE, name: r.name },
        related: [{ kind: 'Volume.longhorn.io', namespace: LONGHORN_NAMESPACE, name: r.volumeName }, { kind: 'Node.longhorn.io', namespace: LONGHORN_NAMESPACE, name: r.nodeID }, ...waiting.map(podRef)],
        summary: `Replica ${r.name} of volume ${r.volumeName} is ${r.currentState || 'failed'}: it points at disk UUID ${r.diskID}, but node ${r.nodeID}${sameDisk ? `'s disk ${sameDisk.name} now has UUID ${sameDisk.diskUUID}` : ` has disks ${node.disks.map((d) => `${d.name}=${d.diskUUID}`).join(', ') || 'none'}`}${waiting.length ? `; ${waiting.map(shortName).join(', ')} waits` : ''}`,
        evidence: [
          `replica ${r.name}: spec.nodeID ${r.nodeID}, spec.diskID ${r.diskID}${r.diskPath ? `, diskPath ${r.diskPath}` : ''}, state ${r.currentState}${r.failedAt ? `, failedAt ${r.failedAt}` : ''}`,
          `node ${r.nodeID} disks: ${node.disks.map((d) => `${d.name} (${d.path ?? 'path?'}) UUID ${d.diskUUID}`).join('; ') || 'none'}`,
          `healthy replicas of ${r.volumeName} elsewhere: ${healthyOthers.map((o) => `${o.name} on ${o.nodeID}`).join(', ') || 'none'}`,
        ],
        explanation: 'The disk this replica lived on was replaced or reformatted (its UUID changed, typically during a node upgrade), so Longhorn cannot start the replica from it.',
        remedies: healthyOthers.length
          ? [`Another replica is healthy: remove the stale replica ${r.name} (Longhorn UI, or kubectl -n ${LONGHORN_NAMESPACE} delete replicas.longhorn.io ${r.name}) and Longhorn rebuilds it on a good disk.`]
          : [`No healthy replica is left: if the old disk still holds the data, mount it again at ${r.diskPath ?? 'its old path'} so its UUID matches; otherwise restore the volume from a backup.`, `Do not delete replica ${r.name}: it may be the last copy of the data.`],
        blocks: waiting.map(podRef),
      }));
    }
    return findings;
  },
});
