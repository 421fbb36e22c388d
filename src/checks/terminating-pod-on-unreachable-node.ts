import { defineCheck, type FindingDraft } from './check.js';
import type { ObjectRef } from '../model/snapshot.js';
import { nodeRef, podRef, pvRef, pvcRef, shortName } from '../util/refs.js';
import { finding, kubeletEvidence, nodeDownRemedies, podsWaitingRefs, terminatingFor } from './common.js';
import { NODE_DOWN_GRACE_MS } from './thresholds.js';

const ID = 'terminating-pod-on-unreachable-node';

export const terminatingPodOnUnreachableNode = defineCheck({
  id: ID,
  title: 'Pod stuck Terminating on an unreachable node, holding volumes',
  severity: 'critical',
  reads: ['pods', 'nodes', 'leases', 'persistentvolumeclaims', 'persistentvolumes'],
  docs: `A pod has been deleted and its grace period is over, but its node has been NotReady for more than a minute, so no kubelet confirms that the containers stopped. The pod object stays Terminating forever, and with it the claims it uses.

How Kubernetes gets there: the node stops posting status; the node lifecycle controller marks it Unknown and taints it node.kubernetes.io/unreachable; after the pods' tolerationSeconds (300s by default) the taint manager deletes them gracefully. Without a kubelet the deletion never completes. A StatefulSet cannot create the replacement (same name) while the old object exists, and the attach/detach controller keeps the volumes attached to the dead node.

Confirm by hand:
  kubectl get pod POD -n NS -o wide
  kubectl get node NODE; kubectl get lease NODE -n kube-node-lease -o yaml

Safe fix: make sure the machine is really powered off, then apply the out-of-service taint to the node (Kubernetes 1.26+): pod GC force-deletes the pods and the volumes are detached at once. Remove the taint when the node comes back. On older servers, force-delete the pod (kubectl delete pod --grace-period=0 --force) after confirming the node is off. volume-doctor also asks the node's kubelet through the API server (GET /api/v1/nodes/NODE/proxy/healthz): if it answers, the machine runs, the findings say so and fix refuses every node-down step whatever --confirm-node-down says.

Never: force-delete the pod while the node might still be running its containers; a replacement would then write to the same volume.`,
  run(graph) {
    const findings: FindingDraft[] = [];
    for (const pod of graph.allPods()) {
      if (!pod.deletionTimestamp || !pod.nodeName || !graph.isPastDeletionGrace(pod)) continue;
      const health = graph.nodeHealth(pod.nodeName);
      // A deleted node is pod GC's job (it force-deletes such pods); only an existing, down node leaves pods stuck.
      if (!health.exists || !graph.isNodeDown(pod.nodeName, NODE_DOWN_GRACE_MS)) continue;
      const volumes = graph.podVolumes(pod);
      if (volumes.length === 0) continue;
      const related: ObjectRef[] = [nodeRef(pod.nodeName)];
      const blocks: ObjectRef[] = [];
      const evidence = [`pod ${shortName(pod)}: ${terminatingFor(graph, pod)}`, `node ${pod.nodeName}: ${health.describe}`, ...kubeletEvidence(health)];
      for (const v of volumes) {
        related.push(pvcRef({ namespace: pod.namespace, name: v.claimName }));
        if (v.pv) {
          related.push(pvRef(v.pv.name));
          const attached = graph.attachmentsOfPv(v.pv.name).filter((va) => va.nodeName === pod.nodeName);
          evidence.push(`claim ${v.claimName} → ${v.pv.name}${attached.length ? `, attached to ${pod.nodeName} by volumeattachment/${attached[0].name}` : ''}`);
          const waiting = podsWaitingRefs(graph, v.pv);
          blocks.push(...waiting);
          for (const w of waiting) evidence.push(`pod ${shortName(w)} waits for ${v.pv.name}`);
        }
      }
      const blocked: string[] = [];
      if (pod.owner?.kind === 'StatefulSet') {
        blocked.push(`StatefulSet ${pod.owner.name} cannot create the replacement ${pod.name} while this pod object exists`);
      }
      if (blocks.length) blocked.push(`${blocks.map(shortName).join(', ')} cannot attach the volume`);
      if (blocked.length === 0) blocked.push(`its volumes stay attached to ${pod.nodeName}`);
      findings.push(finding({
        severity: 'critical',
        subject: podRef(pod),
        related: [...related, ...blocks],
        summary: `Pod ${shortName(pod)} is stuck Terminating on unreachable node ${pod.nodeName}: ${blocked.join('; ')}`,
        evidence,
        explanation: `Node ${pod.nodeName} has no running kubelet to confirm that the pod's containers stopped, so the API server keeps the pod object and the attach/detach controller keeps its volumes attached to that node.${pod.owner?.kind === 'StatefulSet' ? ' A StatefulSet creates the replacement pod, with the same name, only after the old object is gone.' : ''}`,
        remedies: nodeDownRemedies(graph.nodeHealth(pod.nodeName)),
        since: pod.deletionTimestamp,
        blocks: pod.owner?.kind === 'StatefulSet' ? [podRef(pod), ...blocks] : blocks,
        // The pod itself is gone for good; what cannot start is the StatefulSet's replacement of the same name.
        ...(pod.owner?.kind === 'StatefulSet' ? { headline: `the replacement of pod/${pod.name} -n ${pod.namespace} cannot start: the old pod is stuck Terminating on ${pod.nodeName}` } : {}),
      }));
    }
    return findings;
  },
});
