import { defineCheck, type FindingDraft } from './check.js';
import { OUT_OF_SERVICE_TAINT } from '../model/kubernetes-names.js';
import { nodeRef } from '../util/refs.js';
import { formatDuration, toMillis } from '../util/time.js';
import { READY_TRUST_MS } from './thresholds.js';
import { finding, kubectl } from './common.js';

const ID = 'out-of-service-taint-left';

export const outOfServiceTaintLeft = defineCheck({
  id: ID,
  title: 'Node is Ready again but still tainted out-of-service',
  severity: 'warning',
  reads: ['nodes'],
  docs: `A node carries node.kubernetes.io/out-of-service although it is Ready again. The taint was applied during a non-graceful node shutdown so that Kubernetes would force-delete the node's pods and detach its volumes. Kubernetes never removes it by itself.

How Kubernetes gets there: the taint is the last step of a non-graceful node shutdown: an operator (or volume-doctor fix) applied it to a powered-off node. When the machine is repaired or powered on again, its kubelet renews the node's Lease and sets Ready=True, but neither the kubelet nor the node lifecycle controller touches a taint that someone added by hand: removing it is left to the operator.

While it stays, pods without a matching toleration cannot run on the node (NoExecute evicts them, NoSchedule keeps new ones away), and the attach/detach controller force-detaches volumes from it without waiting for unmount.

Confirm by hand:
  kubectl get node NODE -o jsonpath='{.spec.taints}'

Safe fix: once the node is healthy and its old pods are gone, remove the taint: kubectl taint node NODE node.kubernetes.io/out-of-service-

Never: remove it while the node is still down, or re-apply it to a node that is running workloads.`,
  run(graph) {
    const findings: FindingDraft[] = [];
    for (const node of graph.allNodes()) {
      const taint = node.taints.find((t) => t.key === OUT_OF_SERVICE_TAINT);
      if (!taint || node.ready !== 'True') continue;
      const health = graph.nodeHealth(node.name);
      const readyFor = health.conditionForMs === undefined ? '' : ` for ${formatDuration(health.conditionForMs)}`;
      const trustMs = graph.settings.readyTrustMs ?? READY_TRUST_MS;
      const trusted = health.conditionForMs !== undefined && health.conditionForMs >= trustMs;
      const since = toMillis(node.readyTransitionTime);
      const when = since === undefined ? undefined : new Date(since + trustMs).toISOString().replace(/\.000Z$/, 'Z');
      // The same threshold fix's node-ready guard applies by default, so the advice and fix agree.
      const remedy = trusted
        ? `Remove the taint: ${kubectl.untaintOutOfService(node.name)} (or: kubectl volume-doctor fix node/${node.name} --dry-run)`
        : when
          ? `Once the node has been Ready for ${formatDuration(trustMs)} (at ${when}), remove the taint: ${kubectl.untaintOutOfService(node.name)} (or: kubectl volume-doctor fix node/${node.name}, which accepts it from then on)`
          : `The Ready condition has no transition time, so volume-doctor fix cannot tell how long the node has been back; once you know it is healthy, remove the taint by hand: ${kubectl.untaintOutOfService(node.name)}`;
      findings.push(finding({
        severity: 'warning',
        subject: nodeRef(node.name),
        summary: `Node ${node.name} has been Ready${readyFor} but still carries the out-of-service taint${!trusted && when ? `; fix can remove it from ${when}` : ''}`,
        evidence: [
          `taint ${taint.key}${taint.value ? `=${taint.value}` : ''}:${taint.effect}${taint.timeAdded ? ` added ${taint.timeAdded}` : ''}`,
          `node ${node.name}: ${health.describe}`,
          ...(!trusted && when ? [`fix accepts removing the taint once the node has been Ready for ${formatDuration(trustMs)}, at ${when} (--node-ready-for ${formatDuration(trustMs)})`] : []),
        ],
        explanation: 'The out-of-service taint is meant for a node that is shut down. Kubernetes does not remove it when the node returns, so the node stays unusable for workloads and volumes on it are detached without waiting for unmount.',
        remedies: [remedy],
        since: node.readyTransitionTime,
      }));
    }
    return findings;
  },
});
