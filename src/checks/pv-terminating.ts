import { defineCheck, type FindingDraft } from './check.js';
import { pvcRef, pvRef, vaRef } from '../util/refs.js';
import { formatDuration, toMillis } from '../util/time.js';
import { finding } from './common.js';
import { DETACH_STUCK_AFTER_MS } from './thresholds.js';

const ID = 'pv-terminating';

export const pvTerminating = defineCheck({
  id: ID,
  title: 'PersistentVolume stuck Terminating (finalizers)',
  severity: 'warning',
  reads: ['persistentvolumes', 'persistentvolumeclaims', 'volumeattachments'],
  docs: `A PersistentVolume has been deleting for more than two minutes. Its finalizers say who holds it: kubernetes.io/pv-protection (a claim is still bound to it), external-attacher/<driver> (a VolumeAttachment still exists; the volume is not detached), external-provisioner.volume.kubernetes.io/finalizer (the CSI provisioner has not deleted the backend volume yet).

How Kubernetes gets there: someone deleted the PersistentVolume (kubectl delete pv, or the reclaim of a Delete volume after its claim went away). The API server sets deletionTimestamp and waits for each finalizer's owner: the PV protection controller removes kubernetes.io/pv-protection once no claim is bound to the volume, the CSI external-attacher removes its finalizer once no VolumeAttachment of the volume is left, and the external-provisioner removes its own once it has deleted the backend volume. An owner that cannot finish (a bound claim, a detach that never ends, a provisioner that is gone or failing) keeps the volume Terminating.

Confirm by hand:
  kubectl get pv NAME -o jsonpath='{.metadata.finalizers}'
  kubectl get volumeattachments | grep NAME

Safe fix: remove what holds it: delete the bound claim, let the volume detach, or fix the provisioner. Each finalizer is then removed by its owner.

Never: remove the finalizers by hand while the volume is attached or its claim still exists.`,
  run(graph) {
    const findings: FindingDraft[] = [];
    for (const pv of graph.allPvs()) {
      const since = toMillis(pv.deletionTimestamp);
      if (since === undefined || graph.now - since < DETACH_STUCK_AFTER_MS) continue;
      if (!graph.inScope(pv)) continue;
      const claim = pv.claimRef ? graph.pvc(pv.claimRef.namespace, pv.claimRef.name) : undefined;
      const vas = graph.attachmentsOfPv(pv.name);
      const holders: string[] = [];
      if (pv.finalizers.includes('kubernetes.io/pv-protection') && claim && claim.volumeName === pv.name) holders.push(`claim ${claim.namespace}/${claim.name} is still bound to it`);
      if (pv.finalizers.some((f) => f.startsWith('external-attacher/')) && vas.length) holders.push(`it is still attached (${vas.map((va) => `volumeattachment/${va.name} on ${va.nodeName}`).join(', ')})`);
      if (pv.finalizers.includes('external-provisioner.volume.kubernetes.io/finalizer')) holders.push(`the CSI provisioner${pv.csi ? ` of ${pv.csi.driver}` : ''} has not deleted the backend volume yet`);
      findings.push(finding({
        severity: 'warning',
        subject: pvRef(pv.name),
        related: [...(claim ? [pvcRef(claim)] : []), ...vas.map((va) => vaRef(va.name))],
        summary: `Volume ${pv.name} has been Terminating for ${formatDuration(graph.now - since)}${holders.length ? `: ${holders.join('; ')}` : ''}`,
        evidence: [`finalizers: ${pv.finalizers.join(', ') || 'none'}`],
        explanation: 'A PersistentVolume is removed only when every finalizer has been removed by its owner.',
        remedies: [holders.length ? 'Resolve what holds it (above); the owners then remove their finalizers.' : `Check the finalizers' owners: kubectl get pv ${pv.name} -o yaml`, 'Do not remove finalizers by hand while the volume is attached or bound.'],
        since: pv.deletionTimestamp,
      }));
    }
    return findings;
  },
});
