import type { Check, Finding } from '../model/finding.js';
import type { ObjectRef, PodFact, PvFact } from '../model/snapshot.js';
import type { Graph } from '../graph.js';
import { uniqueVolumeName } from '../graph.js';
import { nodeRef, podRef, pvRef, pvcRef, shortName, vaRef } from '../util/refs.js';
import { formatDuration } from '../util/time.js';
import { finding, kubectl, nodeDownRemedies, terminatingFor, vaLine } from './common.js';
import { NODE_DOWN_GRACE_MS, WAITING_POD_GRACE_MS } from './thresholds.js';

const ID = 'multi-attach';

/** Multi-Attach events name the PV in quotes: `Multi-Attach error for volume "<pv>" ...` (also the newer "Waiting for detach" wording). */
function multiAttachEvents(graph: Graph, pod: PodFact, pv: PvFact) {
  return graph
    .eventsFor('Pod', pod.namespace, pod.name)
    .filter((e) => e.reason === 'FailedAttachVolume' && e.message.includes(`"${pv.name}"`) && /Multi-Attach|Waiting for detach/i.test(e.message));
}

interface Holder {
  node: string;
  evidence: string[];
  /** Who keeps the volume on that node, in one phrase. */
  heldBy: string;
  related: ObjectRef[];
  remedies: string[];
}

function describeHolder(graph: Graph, pod: PodFact, pv: PvFact, node: string): Holder {
  const health = graph.nodeHealth(node);
  const related: ObjectRef[] = [nodeRef(node)];
  const evidence = [`node ${node}: ${health.describe}`];
  for (const va of graph.attachmentsOfPv(pv.name).filter((v) => v.nodeName === node)) {
    related.push(vaRef(va.name));
    evidence.push(vaLine(graph, va));
  }
  const unique = uniqueVolumeName(pv);
  const nodeFact = health.node;
  if (unique && nodeFact) {
    if (nodeFact.volumesAttached.some((v) => v.name === unique)) evidence.push(`node ${node} lists ${unique} in status.volumesAttached`);
    if (nodeFact.volumesInUse.includes(unique)) evidence.push(`node ${node} lists ${unique} in status.volumesInUse (the kubelet has it mounted)`);
  }
  const users = graph.podsUsingPv(pv.name).filter((p) => p.nodeName === node && !(p.namespace === pod.namespace && p.name === pod.name));
  const terminating = users.filter((p) => p.deletionTimestamp);
  const live = users.filter((p) => !p.deletionTimestamp);
  for (const p of users) related.push(podRef(p));
  const target = `pod/${pod.name} -n ${pod.namespace}`;
  const down = graph.isNodeDown(node, NODE_DOWN_GRACE_MS);

  if (health.unknown) {
    return {
      node, evidence, related,
      heldBy: `an attachment to node ${node}, whose state is ${health.describe}`,
      remedies: [`Check the node before anything else: kubectl get node ${node}; kubectl get lease ${node} -n kube-node-lease`],
    };
  }
  if (!health.exists) {
    return {
      node, evidence, related,
      heldBy: 'a stale attachment to a node that no longer exists',
      remedies: [
        `The node object is gone, so nothing will detach the volume by itself. Delete the stale attachment: ${kubectl.fix(target)} shows the guarded command.`,
      ],
    };
  }
  if (terminating.length > 0) {
    for (const p of terminating) evidence.push(`pod ${shortName(p)} on ${node}: ${terminatingFor(graph, p)}`);
    return {
      node, evidence, related,
      heldBy: `Terminating pod ${terminating.map(shortName).join(', ')}${health.ready ? '' : ` on unreachable node ${node}`}`,
      remedies: down
        ? nodeDownRemedies(node, target)
        : [`Node ${node} is ${health.ready ? 'Ready' : 'only just NotReady'}: let its kubelet finish stopping ${terminating.map(shortName).join(', ')}; the volume detaches when the pod object is gone. Check it with: ${kubectl.describePod(terminating[0])}`],
    };
  }
  if (live.length > 0) {
    return {
      node, evidence, related,
      heldBy: `running pod ${live.map(shortName).join(', ')}`,
      remedies: [
        `The volume is ${pv.accessModes.join('/')} and pod ${shortName(live[0])} on ${node} uses it. Only one node can use it at a time: stop that pod (scale the workload down), or keep both pods on one node with pod affinity, or use a ReadWriteMany volume.`,
        'Do not delete the VolumeAttachment: the other pod is still writing to the volume.',
      ],
    };
  }
  if (graph.podUsageUnknown) {
    evidence.push(`whether a pod on ${node} uses ${pv.name} is unknown: pods or claims could not be completely read`);
    return {
      node, evidence, related,
      heldBy: `an attachment to ${down ? 'down ' : ''}node ${node}`,
      remedies: [`Pods or claims could not be completely read: check what on ${node} uses the volume before anything else: kubectl get pods -A --field-selector spec.nodeName=${node}`],
    };
  }
  if (down) {
    return {
      node, evidence, related,
      heldBy: `a stale attachment to down node ${node} (no pod there uses it any more)`,
      remedies: nodeDownRemedies(node, target),
    };
  }
  const inUse = !!unique && !!nodeFact?.volumesInUse.includes(unique);
  return {
    node, evidence, related,
    heldBy: inUse ? `an orphaned mount on Ready node ${node} (no pod there uses it)` : `an attachment to ${node} that no pod uses`,
    remedies: inUse
      ? [
          `Node ${node} is Ready and still reports the volume in use, so the attach/detach controller will not detach it. Restart the kubelet on ${node} (or drain and reboot it) so it cleans up the orphaned mount.`,
          `Never delete the VolumeAttachment by hand while ${node} is alive and has it mounted: that risks corrupting the data.`,
        ]
      : [`The attach/detach controller should detach it shortly; if it does not, check the CSI attacher's logs and ${kubectl.vasForPv(pv.name)}`],
  };
}

export const multiAttach: Check = {
  id: ID,
  title: 'Pod waits for a volume attached to another node',
  severity: 'critical',
  reads: ['pods', 'persistentvolumeclaims', 'persistentvolumes', 'volumeattachments', 'nodes', 'leases', 'events'],
  docs: `A pod is scheduled to one node but its ReadWriteOnce (or ReadWriteOncePod) volume is still attached to another node. The attach/detach controller will not attach an exclusive volume to a second node, so the pod stays in ContainerCreating.

How Kubernetes gets there: the old pod's node failed, or the old pod object still exists (Terminating on an unreachable node), or a kubelet still has the volume mounted. The controller only detaches once no pod on the old node wants the volume and the node no longer reports it in status.volumesInUse (or the node is NotReady for 6 minutes, or tainted out-of-service).

This check works from state, not only from events: the FailedAttachVolume "Multi-Attach error" event fires once per volume and node and expires after an hour, so a pod stuck for longer has no event at all.

Confirm by hand:
  kubectl describe pod POD -n NS
  kubectl get volumeattachments | grep PV
  kubectl get node OTHER_NODE; kubectl get lease OTHER_NODE -n kube-node-lease -o yaml

Safe fix: depends on what holds the volume. If a Terminating pod on a powered-off node holds it, apply the out-of-service taint to that node (volume-doctor fix does it behind guards). If a running pod holds it, stop that pod. If the node is Ready and the kubelet still has it mounted, restart that kubelet.

Never: delete the VolumeAttachment or force-delete the pod while the other node may still be running; two writers on one disk corrupt data.`,
  run(graph) {
    const findings: Finding[] = [];
    for (const pod of graph.allPods()) {
      if (!graph.isWaitingToStart(pod) || !pod.nodeName) continue;
      for (const vol of graph.podVolumes(pod)) {
        const pv = vol.pv;
        if (!pv || !graph.isAttachable(pv) || !graph.isExclusive(pv)) continue;
        if (graph.isAttachedTo(pv, pod.nodeName)) continue;
        const others = graph.nodesHolding(pv, pod.nodeName);
        if (others.length === 0) continue;
        const events = multiAttachEvents(graph, pod, pv);
        const waited = graph.waitingForMs(pod);
        if (waited < WAITING_POD_GRACE_MS) continue;
        const holders = others.map((n) => describeHolder(graph, pod, pv, n));
        const evidence = [
          `pod ${shortName(pod)} scheduled to ${pod.nodeName}, waiting ${formatDuration(waited)} (${pod.waitingReasons[0] ?? pod.phase})`,
          `claim ${vol.claimName} → persistentvolume ${pv.name} (${pv.accessModes.join(', ')}${pv.csi ? `, CSI ${pv.csi.driver}` : ''})`,
          ...holders.flatMap((h) => h.evidence),
          ...events.map((e) => `event ${e.reason} (x${e.count}, last ${e.lastTimestamp ?? 'unknown'}): ${e.message}`),
        ];
        if (events.length === 0) evidence.push('no Multi-Attach event left (it fires once per volume and node and expires after an hour); found from attachment state');
        findings.push(finding({
          check: ID,
          severity: 'critical',
          subject: podRef(pod),
          idSuffix: pv.name,
          related: [pvcRef({ namespace: pod.namespace, name: vol.claimName }), pvRef(pv.name), ...holders.flatMap((h) => h.related)],
          summary: `Pod ${shortName(pod)} cannot start: volume ${pv.name} (claim ${vol.claimName}) is still attached to node ${others.join(', ')}, held by ${holders.map((h) => h.heldBy).join('; ')}`,
          evidence,
          explanation: `Volume ${pv.name} is ${pv.accessModes.join('/')}, so the attach/detach controller will not attach it to ${pod.nodeName} while it is attached to ${others.join(', ')}. It detaches only when no pod on that node wants it and the node no longer has it in use (or the node is declared out of service).`,
          remedies: holders.flatMap((h) => h.remedies),
          since: pod.scheduledAt ?? pod.creationTimestamp,
          blocks: [podRef(pod)],
        }));
      }
    }
    return findings;
  },
};
