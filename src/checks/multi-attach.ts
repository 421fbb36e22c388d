import { defineCheck, type FindingDraft } from './check.js';
import type { EventFact, ObjectRef, PodFact, PvFact } from '../model/snapshot.js';
import { NODE_LEASE_NAMESPACE } from '../model/kubernetes-names.js';
import type { Graph } from '../graph.js';
import { uniqueVolumeName } from '../graph.js';
import { nodeRef, podRef, pvRef, pvcRef, shortName, vaRef } from '../util/refs.js';
import { formatDuration } from '../util/time.js';
import { finding, kubectl, kubeletEvidence, nodeDownRemedies, terminatingFor, vaLine } from './common.js';
import { NODE_DOWN_GRACE_MS, WAITING_POD_GRACE_MS } from './thresholds.js';

const ID = 'multi-attach';

const MULTI_ATTACH = /Multi-Attach|Waiting for detach/i;

/** Multi-Attach events of this pod's current incarnation, by the volume they name in quotes: `... for volume "<pv>" ...`. */
function multiAttachEventsByVolume(graph: Graph, pod: PodFact): Map<string, EventFact[]> {
  const byVolume = new Map<string, EventFact[]>();
  for (const e of graph.eventsFor('Pod', pod.namespace, pod.name)) {
    if (e.reason !== 'FailedAttachVolume' || !MULTI_ATTACH.test(e.message) || !graph.isCurrentEvent(pod, e)) continue;
    const volume = /for volume "([^"]+)"/.exec(e.message)?.[1] ?? '';
    byVolume.set(volume, [...(byVolume.get(volume) ?? []), e]);
  }
  for (const list of byVolume.values()) list.sort((a, b) => (b.lastTimestamp ?? '').localeCompare(a.lastTimestamp ?? ''));
  return byVolume;
}

/** "Volume is already used by pod(s) a, b and 2 pod(s) in different namespaces": the pods named, and how many others. */
function podsNamedIn(message: string): { pods: string[]; elsewhere: number } {
  const m = /already used by pod\(s\) (.+?)(?: and (\d+) pod\(s\) in different namespaces)?\.?\s*$/.exec(message.trim());
  if (!m) return { pods: [], elsewhere: 0 };
  return { pods: m[1].split(',').map((p) => p.trim()).filter(Boolean), elsewhere: m[2] ? Number(m[2]) : 0 };
}

const eventLine = (e: EventFact) => `event ${e.reason} (x${e.count}, last ${e.lastTimestamp ?? 'unknown'}): ${e.message}`;

interface Holder {
  node: string;
  evidence: string[];
  /** The node and who keeps the volume there, in one phrase that names the node once: "down node n1 by a stale attachment". */
  attachedTo: string;
  related: ObjectRef[];
  remedies: string[];
}

function describeHolder(graph: Graph, pod: PodFact, pv: PvFact, node: string): Holder {
  const health = graph.nodeHealth(node);
  const related: ObjectRef[] = [nodeRef(node)];
  const evidence = [`node ${node}: ${health.describe}`, ...kubeletEvidence(health)];
  for (const va of graph.attachmentsOfPv(pv.name).filter((v) => v.nodeName === node)) {
    related.push(vaRef(va.name));
    evidence.push(vaLine(graph, va));
  }
  const unique = uniqueVolumeName(pv);
  const nodeFact = health.node;
  if (unique && nodeFact) {
    if (nodeFact.volumesAttached.some((v) => v.name === unique)) evidence.push(`node ${node} lists ${unique} in status.volumesAttached`);
    if (nodeFact.volumesInUse.includes(unique)) {
      // A NotReady node's list is the kubelet's last report, not what is mounted now.
      evidence.push(`node ${node} lists ${unique} in status.volumesInUse (${health.ready ? 'the kubelet has it mounted' : 'the kubelet\'s last report before the node went NotReady'})`);
    }
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
      attachedTo: `node ${node}, whose state is ${health.describe}`,
      remedies: [`Check the node before anything else: kubectl get node ${node}; kubectl get lease ${node} -n ${NODE_LEASE_NAMESPACE}`],
    };
  }
  if (!health.exists) {
    return {
      node, evidence, related,
      attachedTo: `node ${node}, which no longer exists (a stale attachment)`,
      remedies: [
        `The node object is gone, so nothing will detach the volume by itself. Delete the stale attachment: ${kubectl.fix(target)} shows the guarded command.`,
      ],
    };
  }
  if (terminating.length > 0) {
    for (const p of terminating) evidence.push(`pod ${shortName(p)} on ${node}: ${terminatingFor(graph, p)}`);
    return {
      node, evidence, related,
      attachedTo: `${health.ready ? '' : 'unreachable '}node ${node}, held by Terminating pod ${terminating.map(shortName).join(', ')}`,
      remedies: down
        ? nodeDownRemedies(graph.nodeHealth(node))
        : [`Node ${node} is ${health.ready ? 'Ready' : 'only just NotReady'}: let its kubelet finish stopping ${terminating.map(shortName).join(', ')}; the volume detaches when the pod object is gone. Check it with: ${kubectl.describePod(terminating[0])}`],
    };
  }
  if (live.length > 0) {
    return {
      node, evidence, related,
      attachedTo: `node ${node}, held by running pod ${live.map(shortName).join(', ')}`,
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
      attachedTo: `${down ? 'down ' : ''}node ${node} (whether a pod there uses it is unknown)`,
      remedies: [`Pods or claims could not be completely read: check what on ${node} uses the volume before anything else: kubectl get pods -A --field-selector spec.nodeName=${node}`],
    };
  }
  if (down) {
    return {
      node, evidence, related,
      attachedTo: `down node ${node} by a stale attachment (no pod there uses it any more)`,
      remedies: nodeDownRemedies(graph.nodeHealth(node)),
    };
  }
  const inUse = !!unique && !!nodeFact?.volumesInUse.includes(unique);
  return {
    node, evidence, related,
    attachedTo: inUse ? `Ready node ${node} by an orphaned mount (no pod there uses it)` : `node ${node} by an attachment no pod uses`,
    remedies: inUse
      ? [
          `Node ${node} is Ready and still reports the volume in use, so the attach/detach controller will not detach it. Restart the kubelet on ${node} (or drain and reboot it) so it cleans up the orphaned mount.`,
          `Never delete the VolumeAttachment by hand while ${node} is alive and has it mounted: that risks corrupting the data.`,
        ]
      : [`The attach/detach controller should detach it shortly; if it does not, check the CSI attacher's logs and ${kubectl.vasForPv(pv.name)}`],
  };
}

/**
 * What was looked for and not found, when the event says the volume is attached elsewhere but nothing read shows
 * where: VolumeAttachments unread or absent from the dump, the PV unread, a volume that is not CSI, or no holder.
 */
function missingState(graph: Graph, volume: string, pv: PvFact | undefined): string[] {
  const missing: string[] = [];
  if (!graph.wasRead('volumeattachments')) missing.push('VolumeAttachments could not be read (forbidden or unreadable)');
  else if (graph.snapshot.source.type === 'file' && graph.allVolumeAttachments().length === 0) missing.push('the dump holds no VolumeAttachment objects');
  if (graph.nodesUnread) missing.push('Node objects were not read, so no node status.volumesAttached could be searched');
  if (!pv) missing.push(`persistentvolume ${volume || '(unnamed)'} was ${graph.wasRead('persistentvolumes') ? 'not found' : 'not read'}`);
  else if (!pv.csi) missing.push(`${pv.name} is not a CSI volume: its attachment is recorded under its in-tree plugin's name, which volume-doctor does not follow`);
  if (missing.length === 0) missing.push(`no VolumeAttachment of ${volume} on another node, and no node lists it in status.volumesAttached`);
  return missing;
}

function eventOnlyFinding(graph: Graph, pod: PodFact, volume: string, events: EventFact[], waited: number): FindingDraft {
  const nodeName = pod.nodeName!;
  const podVolume = graph.podVolumes(pod).find((v) => v.pv?.name === volume || v.pvc?.volumeName === volume);
  const pv = podVolume?.pv ?? (volume ? graph.pv(volume) : undefined);
  const missing = missingState(graph, volume, pv);
  const newest = events[0];
  const named = podsNamedIn(newest.message);
  const related: ObjectRef[] = [];
  if (podVolume) related.push(pvcRef({ namespace: pod.namespace, name: podVolume.claimName }));
  if (volume) related.push(pvRef(volume));
  const holders: string[] = [];
  for (const name of named.pods) {
    const other = graph.pod(pod.namespace, name);
    if (!other) {
      holders.push(`pod ${pod.namespace}/${name} named by the event ${graph.wasRead('pods') ? 'no longer exists (the node it ran on may still hold the volume)' : 'could not be looked up (pods were not completely read)'}`);
      continue;
    }
    related.push(podRef(other));
    if (other.nodeName) related.push(nodeRef(other.nodeName));
    const where = other.nodeName ? `on node ${other.nodeName} (${graph.nodeHealth(other.nodeName).describe})` : 'on no node';
    holders.push(`pod ${shortName(other)} named by the event: ${where}, ${other.deletionTimestamp ? terminatingFor(graph, other) : other.phase}`);
  }
  if (named.elsewhere) holders.push(`the event also counts ${named.elsewhere} pod(s) in other namespaces`);
  const namedPods = named.pods.map((n) => `${pod.namespace}/${n}`);
  const target = `pod/${pod.name} -n ${pod.namespace}`;
  const grepFor = [volume, pv?.csi?.volumeHandle].filter((x, i, a): x is string => !!x && a.indexOf(x) === i).map((x) => `-e ${x}`).join(' ');
  return finding({
    severity: 'critical',
    subject: podRef(pod),
    idSuffix: volume || undefined,
    related,
    summary: `Pod ${shortName(pod)} cannot start: the attach/detach controller says volume ${volume || '(unnamed)'} is in use on another node${namedPods.length ? ` by ${namedPods.join(', ')}` : ''}: ${newest.message} (the attachment holding it was not found: ${missing[0]})`,
    evidence: [
      `pod ${shortName(pod)} scheduled to ${nodeName}, waiting ${formatDuration(waited)} (${pod.waitingReasons[0] ?? pod.phase})`,
      ...(podVolume ? [`claim ${podVolume.claimName} → persistentvolume ${volume}${pv ? ` (${pv.accessModes.join(', ')}${pv.csi ? `, CSI ${pv.csi.driver}` : ', not CSI'})` : ''}`] : []),
      ...events.map(eventLine),
      ...holders,
      ...missing.map((m) => `not found: ${m}`),
      `based on: the event alone (no attachment of ${volume || 'the volume'} to another node was found in what was read)`,
    ],
    explanation: `The attach/detach controller will not attach an exclusive (ReadWriteOnce or ReadWriteOncePod) volume to ${nodeName} while another node has it, and said so in the event above. It records that event once per volume and node, so it stays true until the volume is attached here. volume-doctor could not see the attachment on the other node, so it cannot tell whether that node is down or a pod there still uses the volume: find that out before acting.`,
    remedies: [
      `Find the node that holds ${volume || 'the volume'}: ${kubectl.vasForPv(volume || 'PV')}`,
      `Or from node status: kubectl get nodes -o custom-columns=NAME:.metadata.name,ATTACHED:.status.volumesAttached[*].name | grep ${grepFor || 'PV'}`,
      ...(named.pods.length ? [`Where the pod(s) the event names run: kubectl get pod ${named.pods.join(' ')} -n ${pod.namespace} -o wide`] : []),
      `Then: if a running pod on that node uses the volume, stop it (scale the workload down), since only one node can use it at a time; if that node is down and powered off, mark it out of service (${kubectl.fix(target, 'NODE')} shows the guarded steps).`,
      'Never delete the VolumeAttachment or force-delete the other pod while the other node may still be running: two writers on one disk corrupt data.',
    ],
    since: pod.scheduledAt ?? pod.creationTimestamp,
    blocks: [podRef(pod)],
  });
}

export const multiAttach = defineCheck({
  id: ID,
  title: 'Pod waits for a volume attached to another node',
  severity: 'critical',
  reads: ['pods', 'persistentvolumeclaims', 'persistentvolumes', 'volumeattachments', 'nodes', 'leases', 'events'],
  docs: `A pod is scheduled to one node but its ReadWriteOnce (or ReadWriteOncePod) volume is still attached to another node. The attach/detach controller will not attach an exclusive volume to a second node, so the pod stays in ContainerCreating.

How Kubernetes gets there: the old pod's node failed, or the old pod object still exists (Terminating on an unreachable node), or a kubelet still has the volume mounted. The controller only detaches once no pod on the old node wants the volume and the node no longer reports it in status.volumesInUse (or the node is NotReady for 6 minutes, or tainted out-of-service).

This check works from state, not only from events: the FailedAttachVolume "Multi-Attach error" event fires once per volume and node and expires after an hour, so a pod stuck for longer has no event at all. The other way round, when the event is there (for this pod, not an earlier one of the same name) and the pod still waits, but the attachment on the other node is not in what was read (VolumeAttachments forbidden, a dump without them, a volume that is not CSI, or no attachment left), it reports from the event alone: the volume and the pods the event names ("Volume is already used by pod(s) ..."), what could not be found, and how to find it by hand. Each finding says which of the two it rests on ("based on: ...").

Confirm by hand:
  kubectl describe pod POD -n NS
  kubectl get volumeattachments | grep PV
  kubectl get node OTHER_NODE; kubectl get lease OTHER_NODE -n kube-node-lease -o yaml

Safe fix: depends on what holds the volume. If a Terminating pod on a powered-off node holds it, apply the out-of-service taint to that node (volume-doctor fix does it behind guards). If a running pod holds it, stop that pod. If the node is Ready and the kubelet still has it mounted, restart that kubelet.

Never: delete the VolumeAttachment or force-delete the pod while the other node may still be running; two writers on one disk corrupt data.`,
  run(graph) {
    const findings: FindingDraft[] = [];
    for (const pod of graph.allPods()) {
      if (!graph.isWaitingToStart(pod) || !pod.nodeName) continue;
      const waited = graph.waitingForMs(pod);
      if (waited < WAITING_POD_GRACE_MS) continue;
      const eventsByVolume = multiAttachEventsByVolume(graph, pod);
      const fromState = new Set<string>();
      for (const vol of graph.podVolumes(pod)) {
        const pv = vol.pv;
        if (!pv || !graph.isAttachable(pv) || !graph.isExclusive(pv)) continue;
        if (graph.isAttachedTo(pv, pod.nodeName)) continue;
        const others = graph.nodesHolding(pv, pod.nodeName);
        if (others.length === 0) continue;
        fromState.add(pv.name);
        const events = eventsByVolume.get(pv.name) ?? [];
        const holders = others.map((n) => describeHolder(graph, pod, pv, n));
        const evidence = [
          `pod ${shortName(pod)} scheduled to ${pod.nodeName}, waiting ${formatDuration(waited)} (${pod.waitingReasons[0] ?? pod.phase})`,
          `claim ${vol.claimName} → persistentvolume ${pv.name} (${pv.accessModes.join(', ')}${pv.csi ? `, CSI ${pv.csi.driver}` : ''})`,
          ...holders.flatMap((h) => h.evidence),
          ...events.map(eventLine),
        ];
        if (events.length === 0) evidence.push('no Multi-Attach event left (it fires once per volume and node and expires after an hour); found from attachment state');
        evidence.push(`based on: attachment state (VolumeAttachments and node status.volumesAttached show ${pv.name} on ${others.join(', ')})`);
        findings.push(finding({
          severity: 'critical',
          subject: podRef(pod),
          idSuffix: pv.name,
          related: [pvcRef({ namespace: pod.namespace, name: vol.claimName }), pvRef(pv.name), ...holders.flatMap((h) => h.related)],
          summary: `Pod ${shortName(pod)} cannot start: volume ${pv.name} (claim ${vol.claimName}) is still attached to ${holders.map((h) => h.attachedTo).join('; ')}`,
          evidence,
          explanation: `Volume ${pv.name} is ${pv.accessModes.join('/')}, so the attach/detach controller will not attach it to ${pod.nodeName} while it is attached to ${others.join(', ')}. It detaches only when no pod on that node wants it and the node no longer has it in use (or the node is declared out of service).`,
          remedies: holders.flatMap((h) => h.remedies),
          since: pod.scheduledAt ?? pod.creationTimestamp,
          blocks: [podRef(pod)],
        }));
      }
      // The event alone: the controller says the volume is attached elsewhere, but nothing read shows where.
      for (const [volume, events] of eventsByVolume) {
        if (fromState.has(volume)) continue;
        const pv = graph.podVolumes(pod).find((v) => v.pv?.name === volume)?.pv ?? (volume ? graph.pv(volume) : undefined);
        // State that contradicts the event wins: the volume is attached here now, or it may be shared.
        if (pv && (graph.isAttachedTo(pv, pod.nodeName) || !graph.isExclusive(pv))) continue;
        findings.push(eventOnlyFinding(graph, pod, volume, events, waited));
      }
    }
    return findings;
  },
});
