import { defineCheck, type FindingDraft } from './check.js';
import { nodeRef, podRef, pvRef, shortName, vaRef } from '../util/refs.js';
import { finding, kubectl, kubeletEvidence, nodeDownRemedies, podsWaitingRefs, terminatingFor, vaLine } from './common.js';
import { NODE_DOWN_GRACE_MS } from './thresholds.js';

const ID = 'stale-volume-attachment';

export const staleVolumeAttachment = defineCheck({
  id: ID,
  title: 'VolumeAttachment left on a node that is gone, down or out of service',
  severity: 'warning',
  reads: ['volumeattachments', 'nodes', 'leases', 'pods', 'persistentvolumeclaims', 'persistentvolumes'],
  docs: `A VolumeAttachment still binds a volume to a node that no longer exists, has been NotReady for more than a minute, or carries the out-of-service taint, and no live pod on that node needs the volume. While it exists, an exclusive (ReadWriteOnce) volume cannot be attached anywhere else.

How Kubernetes gets there: the node failed and its pod was force-deleted (by hand or by pod GC), but the attach/detach controller could not finish the detach: the node still reports the volume in use, force detach after 6 minutes is disabled (--disable-force-detach-on-timeout), or the CSI attacher failed or is not running. A Terminating pod on a dead node keeps the volume attached until the pod object is gone.

Confirm by hand:
  kubectl get volumeattachment NAME -o yaml
  kubectl get node NODE; kubectl get lease NODE -n kube-node-lease -o yaml
  kubectl get pods -A --field-selector spec.nodeName=NODE

Safe fix: if the node object is gone, delete the VolumeAttachment. If the node still exists, first make sure the machine is powered off, then apply the out-of-service taint (Kubernetes detaches at once); delete the VolumeAttachment by hand only on servers older than 1.26 or if the taint did not help. volume-doctor also asks the node's kubelet through the API server (GET /api/v1/nodes/NODE/proxy/healthz): if it answers, the machine runs, the findings say so and fix refuses every node-down step whatever --confirm-node-down says.

Never: delete it while the node may still be running with the volume mounted.`,
  run(graph) {
    const findings: FindingDraft[] = [];
    for (const va of graph.allVolumeAttachments()) {
      const pv = va.persistentVolumeName ? graph.pv(va.persistentVolumeName) : undefined;
      if (pv && !graph.inScope(pv)) continue;
      if (!pv && graph.snapshot.namespace !== undefined) continue;
      const health = graph.nodeHealth(va.nodeName);
      const down = graph.isNodeDown(va.nodeName, NODE_DOWN_GRACE_MS);
      if (!down && !health.outOfService) continue;
      const users = pv ? graph.podsUsingPv(pv.name).filter((p) => p.nodeName === va.nodeName) : [];
      // A pod that is not being deleted still needs the volume there; a Terminating one on a dead node does not.
      if (users.some((p) => !p.deletionTimestamp)) continue;
      const waiting = pv ? podsWaitingRefs(graph, pv) : [];
      const evidence = [vaLine(graph, va), `node ${va.nodeName}: ${health.describe}`, ...kubeletEvidence(health)];
      for (const p of users) evidence.push(`pod ${shortName(p)} on ${va.nodeName}: ${terminatingFor(graph, p)} — the attach/detach controller keeps the volume attached until this pod object is gone`);
      if (users.length === 0) {
        evidence.push(graph.podUsageUnknown
          ? `whether a pod on ${va.nodeName} uses ${va.persistentVolumeName ?? 'this volume'} is unknown: pods or claims could not be completely read`
          : `no pod on ${va.nodeName} uses ${va.persistentVolumeName ?? 'this volume'}`);
      }
      for (const w of waiting) evidence.push(`pod ${shortName(w)} waits for this volume on another node`);
      const where = health.exists ? `${health.ready ? 'Ready but out-of-service' : 'down'} node ${va.nodeName}` : `deleted node ${va.nodeName}`;
      findings.push(finding({
        severity: 'warning',
        subject: vaRef(va.name),
        related: [nodeRef(va.nodeName), ...(pv ? [pvRef(pv.name)] : []), ...users.map(podRef), ...waiting],
        summary: `VolumeAttachment ${va.name} still attaches ${va.persistentVolumeName ?? 'a volume'} to ${where}${waiting.length ? `, blocking ${waiting.map((w) => shortName(w)).join(', ')}` : ''}`,
        evidence,
        explanation: health.exists
          ? `Node ${va.nodeName} is not serving this volume any more, but the attachment remains, so an exclusive volume cannot be attached elsewhere. ${users.length ? 'The Terminating pod object on the node keeps the attach/detach controller from detaching it.' : 'The attach/detach controller waits for the node to unmount it (or 6 minutes NotReady before forcing), and the CSI attacher must confirm the detach.'}`
          : `The node object is gone, but the VolumeAttachment was never removed; nothing will clean it up by itself.`,
        remedies: health.exists
          ? nodeDownRemedies(health)
          : [`Delete the stale attachment (guarded): ${kubectl.fix(`volumeattachment/${va.name}`)}`, `By hand: kubectl delete volumeattachment ${va.name}`],
        since: health.node?.readyTransitionTime ?? va.creationTimestamp,
        // With nobody waiting elsewhere, the story is about the Terminating pods that pin the attachment.
        blocks: waiting.length ? waiting : users.map(podRef),
      }));
    }
    return findings;
  },
});
