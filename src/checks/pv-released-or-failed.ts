import { defineCheck, type FindingDraft } from './check.js';
import { pvcRef, pvRef } from '../util/refs.js';
import { finding } from './common.js';

const ID = 'pv-released-or-failed';

export const pvReleasedOrFailed = defineCheck({
  id: ID,
  title: 'PersistentVolume Released or Failed: holds data, or blocks a re-bind',
  severity: 'warning',
  reads: ['persistentvolumes', 'persistentvolumeclaims'],
  docs: `A PersistentVolume is Released (its claim was deleted and the reclaim policy is Retain, so the data stays) or Failed (automatic reclamation failed). A Released volume keeps spec.claimRef with the old claim's uid, so it never binds again, not even to a new claim of the same name that asks for it with spec.volumeName.

How Kubernetes gets there: the claim bound to the volume was deleted. With reclaimPolicy Retain the PV controller marks the volume Released and keeps it, data and claimRef included, for an administrator to decide; with Delete or Recycle the volume is reclaimed automatically, and a reclamation that fails leaves it Failed (the PV's events say why). A claim re-created with the same name gets a new uid, which never matches the Released volume's claimRef.

Confirm by hand:
  kubectl get pv NAME      (STATUS, RECLAIM POLICY, CLAIM)
  kubectl get pv NAME -o jsonpath='{.spec.claimRef}'

Safe fix: to reuse the data, clear the stale claim reference: kubectl patch pv NAME --type=json -p '[{"op":"remove","path":"/spec/claimRef/uid"}]' (the new claim then binds); if the data is no longer needed, delete the PV and the backend volume. For Failed, read the PV's events for the reclaim error.

Never: point two claims at one volume, or delete a Retain volume before checking that nobody needs its data.`,
  run(graph) {
    const findings: FindingDraft[] = [];
    for (const pv of graph.allPvs()) {
      if (pv.phase !== 'Released' && pv.phase !== 'Failed') continue;
      if (pv.claimRef && !graph.inScope(pv)) continue;
      if (!pv.claimRef && graph.snapshot.namespace !== undefined) continue;
      const waiting = graph.claimsNaming(pv.name).filter((c) => c.phase === 'Pending');
      const claim = pv.claimRef;
      const blocks = waiting.length > 0;
      findings.push(finding({
        severity: blocks || pv.phase === 'Failed' ? 'warning' : 'info',
        subject: pvRef(pv.name),
        related: [...(claim ? [pvcRef(claim)] : []), ...waiting.map(pvcRef)],
        summary: pv.phase === 'Failed'
          ? `Volume ${pv.name} is Failed: its automatic reclamation (${pv.reclaimPolicy ?? 'unknown policy'}) did not succeed`
          : `Volume ${pv.name} is Released${pv.reclaimPolicy === 'Retain' ? ' and still holds the data (Retain)' : ''}${claim ? `; it still names deleted claim ${claim.namespace}/${claim.name}` : ''}${blocks ? `, so claim ${waiting.map((c) => `${c.namespace}/${c.name}`).join(', ')} cannot bind to it` : ''}`,
        evidence: [`phase ${pv.phase}, reclaimPolicy ${pv.reclaimPolicy ?? '(unset)'}${claim ? `, claimRef ${claim.namespace}/${claim.name}${claim.uid ? ` uid ${claim.uid}` : ''}` : ''}`],
        explanation: pv.phase === 'Failed'
          ? 'Kubernetes could not recycle or delete the volume after its claim was deleted.'
          : 'A Released volume keeps the old claim reference; Kubernetes never binds it again until that reference is cleared.',
        remedies: pv.phase === 'Failed'
          ? [`Read why: kubectl describe pv ${pv.name}; then delete the volume in the backend and the PV, or fix the reclaim error.`]
          : [`To reuse the data: kubectl patch pv ${pv.name} --type=json -p '[{"op":"remove","path":"/spec/claimRef/uid"}]'`, `If the data is not needed: kubectl delete pv ${pv.name}, and delete the backend volume.`],
      }));
    }
    return findings;
  },
});
