import { defineCheck, type FindingDraft } from './check.js';
import { podRef, pvcRef, pvRef, shortName } from '../util/refs.js';
import { finding } from './common.js';

const ID = 'pvc-lost';

export const pvcLost = defineCheck({
  id: ID,
  title: 'PersistentVolumeClaim is Lost (its PersistentVolume is gone)',
  severity: 'critical',
  reads: ['persistentvolumeclaims', 'persistentvolumes', 'pods', 'events'],
  docs: `A claim is in phase Lost: it was bound, but its PersistentVolume no longer exists. The PV controller records a ClaimLost warning: "Bound claim has lost its PersistentVolume. Data on the volume is lost!". Pods that use the claim cannot start.

How Kubernetes gets there: the PersistentVolume the claim was bound to was deleted (by hand, by a cleanup script, or with a namespace or cluster migration that restored claims without their volumes). The PV controller then finds spec.volumeName pointing at no volume, sets the claim's phase to Lost and records ClaimLost. It never binds a Lost claim to another volume by itself.

Confirm by hand:
  kubectl get pvc NAME -n NS -o jsonpath='{.spec.volumeName} {.status.phase}'
  kubectl get pv VOLUME

Safe fix: if the storage still exists in the backend, recreate the PersistentVolume with the same name and volume handle (and a claimRef to this claim) so it binds again; otherwise restore from backup into a new claim.

Never: delete the claim before you know whether the backend volume still holds the data.`,
  run(graph) {
    const findings: FindingDraft[] = [];
    for (const pvc of graph.snapshot.pvcs) {
      if (pvc.phase !== 'Lost') continue;
      const users = graph.podsUsingClaim(pvc.namespace, pvc.name);
      const lost = graph.eventsFor('PersistentVolumeClaim', pvc.namespace, pvc.name).find((e) => e.reason === 'ClaimLost');
      findings.push(finding({
        severity: 'critical',
        subject: pvcRef(pvc),
        related: [...(pvc.volumeName ? [pvRef(pvc.volumeName)] : []), ...users.map(podRef)],
        summary: `Claim ${shortName(pvc)} is Lost: its volume ${pvc.volumeName ?? '(unknown)'} no longer exists${users.length ? `; ${users.map(shortName).join(', ')} cannot start` : ''}`,
        evidence: [`phase Lost, spec.volumeName ${pvc.volumeName ?? '(none)'}${pvc.volumeName && !graph.pv(pvc.volumeName) ? ' (no such PersistentVolume)' : ''}`, ...(lost ? [`event ClaimLost: ${lost.message}`] : [])],
        explanation: 'The claim was bound to a PersistentVolume that has since been deleted; Kubernetes cannot bind it again by itself.',
        remedies: ['If the backend volume still exists, recreate the PersistentVolume with the same name and volume handle, with claimRef pointing at this claim.', 'Otherwise restore the data from backup into a new claim. Do not delete this claim until you know.'],
        blocks: users.map(podRef),
      }));
    }
    return findings;
  },
});
