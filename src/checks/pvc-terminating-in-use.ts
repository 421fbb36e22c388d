import { defineCheck, type FindingDraft } from './check.js';
import { podRef, pvcRef, shortName } from '../util/refs.js';
import { formatDuration, toMillis } from '../util/time.js';
import { finding } from './common.js';

const ID = 'pvc-terminating-in-use';
const PVC_PROTECTION = 'kubernetes.io/pvc-protection';

export const pvcTerminatingInUse = defineCheck({
  id: ID,
  title: 'PersistentVolumeClaim stuck Terminating because pods still use it',
  severity: 'warning',
  reads: ['persistentvolumeclaims', 'pods'],
  docs: `A claim was deleted but stays Terminating: the finalizer kubernetes.io/pvc-protection keeps it while any pod that uses it exists (running, pending, or itself stuck Terminating).

How Kubernetes gets there: someone deleted the claim (kubectl delete pvc, a namespace deletion, a Helm uninstall, a StatefulSet's PVC retention policy) while a pod still used it. The API server only sets deletionTimestamp; the PVC protection controller removes the finalizer once every pod that uses the claim is gone or has finished (Succeeded or Failed), so the claim stays Terminating as long as any other such pod object exists, including a pod stuck Terminating on a node that is down.

Confirm by hand:
  kubectl get pvc NAME -n NS -o jsonpath='{.metadata.finalizers}'
  kubectl describe pvc NAME -n NS | grep -A5 'Used By'

Safe fix: delete (or scale down the owners of) the pods named here; the claim goes away by itself after that. If a pod is stuck Terminating on a dead node, see terminating-pod-on-unreachable-node.

Never: remove the pvc-protection finalizer while pods use the claim; the volume would be deleted under them.`,
  run(graph) {
    const findings: FindingDraft[] = [];
    for (const pvc of graph.snapshot.pvcs) {
      if (!pvc.deletionTimestamp || !pvc.finalizers.includes(PVC_PROTECTION)) continue;
      const users = graph.podsUsingClaim(pvc.namespace, pvc.name).filter((p) => p.phase !== 'Succeeded' && p.phase !== 'Failed');
      if (users.length === 0) continue;
      const since = toMillis(pvc.deletionTimestamp) ?? graph.now;
      findings.push(finding({
        severity: 'warning',
        subject: pvcRef(pvc),
        related: users.map(podRef),
        summary: `Claim ${shortName(pvc)} has been Terminating for ${formatDuration(graph.now - since)}: pod ${users.map(shortName).join(', ')} still uses it`,
        evidence: [`finalizers: ${pvc.finalizers.join(', ')}`, ...users.map((p) => `pod ${shortName(p)}: ${p.deletionTimestamp ? 'Terminating' : p.phase}${p.nodeName ? ` on ${p.nodeName}` : ''}`)],
        explanation: 'Kubernetes keeps a claim that a pod uses (kubernetes.io/pvc-protection), so the deletion waits for those pods to be gone.',
        remedies: [`Delete or scale down the owners of ${users.map(shortName).join(', ')}; the claim is removed right after.`, 'Do not remove the pvc-protection finalizer by hand while pods use the claim.'],
        since: pvc.deletionTimestamp,
      }));
    }
    return findings;
  },
});
