import { defineCheck, type FindingDraft } from './check.js';
import { LONGHORN_NAMESPACE } from '../model/kubernetes-names.js';
import { podRef, pvRef, shortName } from '../util/refs.js';
import { finding } from './common.js';
import { inScope, pvOfLonghornVolume, waitingPodsOf } from './longhorn-common.js';

const ID = 'longhorn-volume-faulted';

export const longhornVolumeFaulted = defineCheck({
  id: ID,
  title: 'Longhorn volume faulted, or degraded with no healthy replica on a Ready node',
  severity: 'critical',
  reads: ['volumes.longhorn.io', 'replicas.longhorn.io', 'nodes'],
  docs: `A Longhorn volume's robustness is faulted (no replica is usable), or degraded while none of its running replicas sits on a Ready Kubernetes node. The volume cannot be attached, or is one node failure away from losing its data.

How Kubernetes gets there: Longhorn keeps a volume's data in replicas on several nodes. When nodes go down, disks fail or are replaced, or replicas fail one after another faster than Longhorn can rebuild them, the volume becomes degraded (fewer healthy replicas than asked for) and then faulted (none usable). A degraded volume whose remaining replicas are all on nodes that are not Ready has no copy Kubernetes can reach.

Confirm by hand:
  kubectl -n longhorn-system get volumes.longhorn.io NAME -o jsonpath='{.status.robustness}'
  kubectl -n longhorn-system get replicas.longhorn.io -o wide | grep NAME

Safe fix: bring back the nodes or disks that hold its replicas; for a faulted volume, Longhorn's "salvage" (UI) picks the most recent replica. Restore from backup if none is usable.

Never: delete the volume or its replicas while trying to recover.`,
  run(graph) {
    const lh = graph.snapshot.longhorn;
    if (!lh) return [];
    const findings: FindingDraft[] = [];
    for (const v of lh.volumes) {
      if (!inScope(graph, v)) continue;
      const replicas = lh.replicas.filter((r) => r.volumeName === v.name);
      const healthy = replicas.filter((r) => r.currentState === 'running' && !r.failedAt && graph.nodeHealth(r.nodeID).ready);
      const faulted = v.robustness === 'faulted';
      if (!faulted && !(v.robustness === 'degraded' && healthy.length === 0)) continue;
      const pv = pvOfLonghornVolume(graph, v);
      const waiting = waitingPodsOf(graph, pv);
      findings.push(finding({
        severity: faulted || waiting.length ? 'critical' : 'warning',
        subject: { kind: 'Volume.longhorn.io', namespace: LONGHORN_NAMESPACE, name: v.name },
        related: [...(pv ? [pvRef(pv.name)] : []), ...waiting.map(podRef)],
        summary: faulted
          ? `Longhorn volume ${v.name} is faulted: no usable replica${waiting.length ? `; ${waiting.map(shortName).join(', ')} cannot start` : ''}`
          : `Longhorn volume ${v.name} is degraded and none of its replicas runs on a Ready node`,
        evidence: replicas.map((r) => `replica ${r.name}: ${r.currentState || 'unknown'} on ${r.nodeID} (${graph.nodeHealth(r.nodeID).ready ? 'Ready' : 'not Ready'})${r.failedAt ? `, failed at ${r.failedAt}` : ''}`),
        explanation: faulted ? 'Every replica of the volume has failed; Longhorn will not attach it.' : 'The remaining replicas are on nodes that are not Ready; the data is at risk.',
        remedies: ['Bring back the nodes or disks that hold the replicas; for a faulted volume use Longhorn\'s salvage, or restore from backup.', 'Do not delete the volume or its replicas while recovering.'],
        blocks: waiting.map(podRef),
      }));
    }
    return findings;
  },
});
