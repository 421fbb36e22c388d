import { defineCheck, type FindingDraft } from './check.js';
import { LONGHORN_NAMESPACE } from '../model/kubernetes-names.js';
import type { ObjectRef } from '../model/snapshot.js';
import { podRef, pvcRef, pvRef, shortName } from '../util/refs.js';
import { formatDuration, toMillis } from '../util/time.js';
import { finding } from './common.js';
import { inScope, pvOfLonghornVolume, waitingPodsOf } from './longhorn-common.js';
import { DETACH_STUCK_AFTER_MS } from './thresholds.js';

const ID = 'longhorn-volume-stuck';

export const longhornVolumeStuck = defineCheck({
  id: ID,
  title: 'Longhorn volume stuck attaching or detaching',
  severity: 'critical',
  reads: ['volumes.longhorn.io', 'replicas.longhorn.io', 'engines.longhorn.io', 'volumeattachments.longhorn.io', 'persistentvolumes', 'pods', 'volumeattachments'],
  docs: `A Longhorn volume (volumes.longhorn.io) has been in state attaching or detaching for more than two minutes: measured from the pods waiting for it, or from the Kubernetes VolumeAttachment. volume-doctor links it to its PV, PVC and the waiting pods, and shows its replicas' and engine's states, which usually say why (replicas stopped after a disk change, no healthy replica, engine not starting).

How Kubernetes gets there: for a pod's volume the CSI external-attacher asks Longhorn to attach (an attachment ticket in Longhorn's volumeattachments), and Longhorn must start the volume's engine on the node with at least one usable replica. When no replica can start (stopped after a disk change, failed, or on nodes that are down) or the engine or instance manager cannot start, the volume stays attaching; a detach that the engine cannot finish leaves it detaching. Kubernetes' VolumeAttachment then stays attached=false, and the pod waits in ContainerCreating.

Confirm by hand:
  kubectl -n longhorn-system get volumes.longhorn.io NAME -o yaml      (status.state, robustness, conditions)
  kubectl -n longhorn-system get replicas.longhorn.io,engines.longhorn.io | grep NAME

Safe fix: see the replica and engine findings (longhorn-replica-disk-mismatch, longhorn-volume-faulted); once a replica can start, Longhorn finishes the attach by itself.

Never: delete the volume's replicas or engine objects to "reset" it: with no healthy replica left that destroys the data.`,
  run(graph) {
    const lh = graph.snapshot.longhorn;
    if (!lh) return [];
    const findings: FindingDraft[] = [];
    for (const v of lh.volumes) {
      if (v.state !== 'attaching' && v.state !== 'detaching') continue;
      if (!inScope(graph, v)) continue;
      const pv = pvOfLonghornVolume(graph, v);
      const waiting = waitingPodsOf(graph, pv);
      const vaAge = Math.max(0, ...(pv ? graph.attachmentsOfPv(pv.name) : []).map((va) => graph.now - (toMillis(va.creationTimestamp) ?? graph.now)));
      const stuckFor = Math.max(vaAge, ...waiting.map((p) => graph.waitingForMs(p)));
      if (stuckFor < DETACH_STUCK_AFTER_MS) continue;
      const replicas = lh.replicas.filter((r) => r.volumeName === v.name);
      const engines = lh.engines.filter((e) => e.volumeName === v.name);
      // Longhorn ≥1.5 names its VolumeAttachment after the volume; each ticket is one requester of the attach.
      const tickets = lh.volumeAttachments.find((a) => a.name === v.name)?.tickets ?? [];
      const related: ObjectRef[] = [{ kind: 'Volume.longhorn.io', namespace: LONGHORN_NAMESPACE, name: v.name }];
      if (pv) related.push(pvRef(pv.name));
      if (pv?.claimRef) related.push(pvcRef(pv.claimRef));
      related.push(...waiting.map(podRef));
      findings.push(finding({
        severity: waiting.length ? 'critical' : 'warning',
        subject: { kind: 'Volume.longhorn.io', namespace: LONGHORN_NAMESPACE, name: v.name },
        related,
        summary: `Longhorn volume ${v.name}${pv?.claimRef ? ` (claim ${pv.claimRef.namespace}/${pv.claimRef.name})` : ''} has been ${v.state} for ${formatDuration(stuckFor)} on ${v.currentNodeID || v.nodeID || 'no node'}${waiting.length ? `; ${waiting.map(shortName).join(', ')} waits` : ''}`,
        evidence: [
          `volume ${v.name}: state ${v.state}, robustness ${v.robustness || 'unknown'}, spec.nodeID ${v.nodeID ?? '(none)'}, currentNodeID ${v.currentNodeID ?? '(none)'}`,
          ...replicas.map((r) => `replica ${r.name}: ${r.currentState || 'unknown'} on ${r.nodeID}, disk ${r.diskID}${r.failedAt ? `, failed at ${r.failedAt}` : ''}`),
          ...engines.map((e) => `engine ${e.name}: ${e.currentState || 'unknown'}${Object.keys(e.replicaModeMap).length ? `, modes ${Object.entries(e.replicaModeMap).map(([k, m]) => `${k}=${m}`).join(' ')}` : ''}`),
          ...tickets.map((t) => `attachment ticket ${t.id} (${t.type || 'unknown type'}) for node ${t.nodeID || '(none)'}: ${t.satisfied ? 'satisfied' : 'not satisfied'}`),
          ...v.conditions.filter((c) => c.status === 'False' && c.message).map((c) => `condition ${c.type}=False: ${c.message}`),
        ],
        explanation: `Longhorn cannot finish ${v.state === 'attaching' ? 'attaching' : 'detaching'} the volume; until it does, the CSI attach (and the pod) waits.`,
        remedies: [
          replicas.some((r) => r.currentState === 'stopped' || r.currentState === 'error' || r.failedAt)
            ? 'Replicas are stopped or failed: see the replica findings for why (a changed disk UUID after a node upgrade is common).'
            : `Check the engine and instance-manager on ${v.currentNodeID || v.nodeID || 'the node'}: kubectl -n ${LONGHORN_NAMESPACE} get instancemanagers -o wide`,
          `kubectl -n ${LONGHORN_NAMESPACE} get volumes.longhorn.io ${v.name} -o yaml`,
        ],
        blocks: waiting.map(podRef),
      }));
    }
    return findings;
  },
});
