import { defineCheck, type FindingDraft } from './check.js';
import { LONGHORN_DRIVER, LONGHORN_NAMESPACE } from '../model/kubernetes-names.js';
import type { PodFact } from '../model/snapshot.js';
import { nodeRef, podRef } from '../util/refs.js';
import { finding, kubeletEvidence, nodeDownRemedies } from './common.js';
import { NODE_DOWN_GRACE_MS } from './thresholds.js';

const ID = 'longhorn-node-down-policy';
const SETTING = 'node-down-pod-deletion-policy';

const POLICY: Record<string, { statefulset: boolean; deployment: boolean; text: string }> = {
  'do-nothing': { statefulset: false, deployment: false, text: 'Longhorn does nothing by itself: the pods stay Terminating until someone acts' },
  'delete-statefulset-pod': { statefulset: true, deployment: false, text: 'Longhorn force-deletes Terminating StatefulSet pods on the down node, but not Deployment pods' },
  'delete-deployment-pod': { statefulset: false, deployment: true, text: 'Longhorn force-deletes Terminating Deployment pods on the down node, but not StatefulSet pods' },
  'delete-both-statefulset-and-deployment-pod': { statefulset: true, deployment: true, text: 'Longhorn force-deletes Terminating StatefulSet and Deployment pods on the down node' },
};

export const longhornNodeDownPolicy = defineCheck({
  id: ID,
  title: 'What Longhorn will do about pods stuck on a down node (node-down-pod-deletion-policy)',
  severity: 'info',
  reads: ['settings.longhorn.io', 'nodes', 'pods', 'persistentvolumeclaims', 'persistentvolumes'],
  docs: `Context, shown when a node is down and Deployment or StatefulSet pods using Longhorn volumes are stuck Terminating on it: Longhorn's setting node-down-pod-deletion-policy decides whether Longhorn force-deletes them by itself. do-nothing (the default) leaves them; delete-statefulset-pod, delete-deployment-pod and delete-both-statefulset-and-deployment-pod delete the named kinds.

How Kubernetes gets there: a node goes down while pods with Longhorn volumes run on it; Kubernetes deletes those pods after their tolerationSeconds, but without a kubelet the deletion never completes, so they stay Terminating and hold their volumes. Longhorn watches for this case and, depending on node-down-pod-deletion-policy, force-deletes them so the volume can be attached elsewhere.

Confirm by hand:
  kubectl -n longhorn-system get settings.longhorn.io node-down-pod-deletion-policy -o jsonpath='{.value}'

Safe fix: nothing to fix here; it tells you whether to wait for Longhorn or to act (out-of-service taint) yourself.

Never: force-delete the pods, or change the policy to let Longhorn do it, unless the node is known to be powered off: a node that is only cut off from the API server may still write to the volume.`,
  run(graph) {
    const lh = graph.snapshot.longhorn;
    if (!lh) return [];
    const value = lh.settings[SETTING] || 'do-nothing';
    const policy = POLICY[value] ?? { statefulset: false, deployment: false, text: `unknown value "${value}"` };
    const findings: FindingDraft[] = [];
    for (const node of graph.allNodes()) {
      if (!graph.isNodeDown(node.name, NODE_DOWN_GRACE_MS)) continue;
      // Longhorn's pod controller only force-deletes pods that use Longhorn volumes.
      const usesLonghorn = (p: PodFact) => graph.podVolumes(p).some((v) => v.pv?.csi?.driver === LONGHORN_DRIVER);
      const stuck = graph.podsOnNode(node.name).filter((p) => p.deletionTimestamp && usesLonghorn(p) && (p.owner?.kind === 'StatefulSet' || p.owner?.kind === 'ReplicaSet'));
      if (stuck.length === 0) continue;
      const handled = stuck.filter((p) => (p.owner?.kind === 'StatefulSet' ? policy.statefulset : policy.deployment));
      const health = graph.nodeHealth(node.name);
      // A kubelet that still answers means the machine runs: the node-down advice for it applies here too.
      const running = health.kubelet?.reach === 'answered';
      findings.push(finding({
        severity: 'info',
        subject: nodeRef(node.name),
        related: [{ kind: 'Setting.longhorn.io', namespace: LONGHORN_NAMESPACE, name: SETTING }, ...stuck.map(podRef)],
        summary: `Node ${node.name} is down with ${stuck.length} Terminating workload pod${stuck.length === 1 ? '' : 's'}; ${SETTING}=${value}: ${policy.text}`,
        evidence: [
          ...stuck.map((p) => `pod ${p.namespace}/${p.name} (${p.owner?.kind === 'ReplicaSet' ? 'Deployment' : p.owner?.kind}): ${handled.includes(p) ? 'Longhorn will force-delete it' : 'Longhorn leaves it'}`),
          ...kubeletEvidence(health),
        ],
        explanation: 'Longhorn can resolve stuck pods on a down node by itself, depending on this setting.',
        remedies: running ? nodeDownRemedies(health) : handled.length === stuck.length ? ['Wait for Longhorn to delete the pods.'] : ['For the pods Longhorn leaves, confirm the node is off and apply the out-of-service taint (kubectl volume-doctor fix --dry-run shows the guarded plan).'],
        idSuffix: SETTING,
      }));
    }
    return findings;
  },
});
