import { defineCheck, type FindingDraft } from './check.js';
import type { ObjectRef } from '../model/snapshot.js';
import { uniqueVolumeName } from '../graph.js';
import { nodeRef, podRef, pvRef, shortName } from '../util/refs.js';
import { finding, kubeletEvidence, nodeDownRemedies, podsWaitingFor } from './common.js';
import { NODE_DOWN_GRACE_MS } from './thresholds.js';

const ID = 'node-down-with-volumes';

export const nodeDownWithVolumes = defineCheck({
  id: ID,
  title: 'Node is down while holding attached volumes',
  severity: 'critical',
  reads: ['nodes', 'leases', 'volumeattachments', 'persistentvolumes', 'pods'],
  docs: `One summary per node that has been NotReady for more than a minute while volumes are attached to it (VolumeAttachments or status.volumesAttached): which volumes, and which pods they keep from starting elsewhere. The detailed findings (multi-attach, terminating-pod-on-unreachable-node, stale-volume-attachment) tell each pod's story.

How Kubernetes gets there: the machine lost power, crashed or was cut off from the API server. Its kubelet stops renewing the node's Lease and posting status, and the node lifecycle controller sets Ready=Unknown once --node-monitor-grace-period has passed and taints the node unreachable. The pods on it are deleted after their tolerationSeconds, but without a kubelet the deletion never completes, so they stay Terminating and keep wanting their volumes; the attach/detach controller does not detach a volume a pod on the node may still use, and the node's last status still lists the volumes in use. The attachments stay until the pods are gone and the volumes are detached (after 6 minutes of waiting for an unmount, unless force detach on timeout is disabled), or until the node is tainted out-of-service.

Confirm by hand:
  kubectl get node NODE; kubectl get lease NODE -n kube-node-lease -o yaml
  kubectl get volumeattachments -o wide | grep NODE

Safe fix: confirm the machine is powered off, then apply the out-of-service taint (volume-doctor fix does it behind guards); remove it when the node is back. volume-doctor also asks the node's kubelet through the API server (GET /api/v1/nodes/NODE/proxy/healthz): if it answers, the machine runs, the findings say so and fix refuses every node-down step whatever --confirm-node-down says.

Never: act as if the node were down while it may still be running.`,
  run(graph) {
    const findings: FindingDraft[] = [];
    for (const node of graph.allNodes()) {
      if (!graph.isNodeDown(node.name, NODE_DOWN_GRACE_MS)) continue;
      const pvNames = new Set(graph.attachmentsOnNode(node.name).map((va) => va.persistentVolumeName).filter((n): n is string => !!n));
      for (const v of node.volumesAttached) {
        const pv = graph.pvByUniqueName(v.name);
        if (pv) pvNames.add(pv.name);
      }
      const pvs = [...pvNames].map((n) => graph.pv(n)).filter((p) => p && graph.inScope(p));
      if (pvs.length === 0) continue;
      const blocked: ObjectRef[] = [];
      for (const pv of pvs) blocked.push(...podsWaitingFor(graph, pv!).filter((p) => p.nodeName !== node.name).map(podRef));
      const terminating = graph.podsOnNode(node.name).filter((p) => p.deletionTimestamp && p.claims.length);
      const health = graph.nodeHealth(node.name);
      findings.push(finding({
        severity: blocked.length || terminating.length ? 'critical' : 'warning',
        subject: nodeRef(node.name),
        related: [...pvs.map((p) => pvRef(p!.name)), ...blocked, ...terminating.map(podRef)],
        summary: `Node ${node.name} is down (${health.describe}) with ${pvs.length} volume${pvs.length === 1 ? '' : 's'} attached${blocked.length ? `, blocking ${blocked.map(shortName).join(', ')}` : ''}${terminating.length ? `; ${terminating.length} pod${terminating.length === 1 ? '' : 's'} stuck Terminating there` : ''}`,
        evidence: [
          ...pvs.map((p) => `volume ${p!.name}${p!.claimRef ? ` (claim ${p!.claimRef.namespace}/${p!.claimRef.name})` : ''}${uniqueVolumeName(p!) ? ` = ${uniqueVolumeName(p!)}` : ''}`),
          ...terminating.map((p) => `pod ${shortName(p)} Terminating on ${node.name}`),
          ...kubeletEvidence(health),
        ],
        explanation: 'While the node is down, its volumes stay attached to it until its pods are gone and the attach/detach controller detaches them (after 6 minutes NotReady, or at once with the out-of-service taint).',
        remedies: nodeDownRemedies(health),
        since: node.readyTransitionTime,
      }));
    }
    return findings;
  },
});
