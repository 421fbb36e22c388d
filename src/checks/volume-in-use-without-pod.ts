import { defineCheck, type FindingDraft } from './check.js';
import { nodeRef, pvRef, pvcRef, shortName, vaRef } from '../util/refs.js';
import { finding, kubectl, podsWaitingRefs } from './common.js';
import { MAX_WAIT_FOR_UNMOUNT_MS } from './thresholds.js';

const ID = 'volume-in-use-without-pod';

export const volumeInUseWithoutPod = defineCheck({
  id: ID,
  title: 'Node reports a volume in use that no pod on it uses (orphaned mount)',
  severity: 'critical',
  reads: ['nodes', 'pods', 'persistentvolumeclaims', 'persistentvolumes', 'volumeattachments'],
  docs: `The kubelet lists a volume in node.status.volumesInUse, but no pod on that node uses it. The kubelet still has it mounted (or believes so): an orphaned mount, typically left after a kubelet restart during a pod's deletion, or after a pod was force-deleted.

How Kubernetes gets there: the kubelet's volume manager rebuilds its state after a restart from what is on disk; if the pod is gone from the API it may fail to tear the mount down ("orphaned pod ... found, but volume paths are still present on disk" in the kubelet log). The attach/detach controller will not detach a volume the node reports in use, unless the node is NotReady for 6 minutes or tainted out-of-service. On a Ready node nothing will ever force the detach.

Confirm by hand:
  kubectl get node NODE -o jsonpath='{.status.volumesInUse}'
  kubectl get pods -A --field-selector spec.nodeName=NODE
  on the node: findmnt | grep VOLUME_HANDLE; journalctl -u kubelet | grep orphaned

Safe fix: on the node, restart the kubelet so it reconciles and unmounts the orphaned volume; if it persists, drain the node and reboot it. The volume then leaves volumesInUse and the controller detaches it.

Never: delete the VolumeAttachment by hand while the node is alive and has the volume mounted; a pod on another node would then write to a disk this node still has mounted, corrupting data.`,
  run(graph) {
    const findings: FindingDraft[] = [];
    // "No pod uses it" is only known when every pod and claim was read.
    if (graph.podUsageUnknown) return findings;
    for (const node of graph.allNodes()) {
      if (node.volumesInUse.length === 0) continue;
      const health = graph.nodeHealth(node.name);
      const used = new Set<string>();
      for (const pod of graph.podsOnNode(node.name)) {
        for (const v of graph.podVolumes(pod)) if (v.pv) used.add(v.pv.name);
      }
      for (const unique of node.volumesInUse) {
        const pv = graph.pvByUniqueName(unique);
        if (pv && (used.has(pv.name) || !graph.inScope(pv))) continue;
        // A CSI volume we cannot map to a PV may belong to a pod in another namespace; only judge it cluster-wide.
        if (!pv && graph.snapshot.namespace !== undefined) continue;
        if (!pv && !unique.startsWith('kubernetes.io/csi/')) continue;
        // Unmapped only because the PVs were not completely read: it may be a volume a pod uses.
        if (!pv && !graph.wasRead('persistentvolumes')) continue;
        const waiting = pv ? podsWaitingRefs(graph, pv) : [];
        const vas = pv ? graph.attachmentsOfPv(pv.name).filter((va) => va.nodeName === node.name) : [];
        const claim = pv?.claimRef;
        const evidence = [
          `node ${node.name} lists ${unique} in status.volumesInUse${health.ready ? '' : ' (its kubelet\'s last report before the node went NotReady)'}`,
          `no pod on ${node.name} uses ${pv ? `persistentvolume ${pv.name}${claim ? ` (claim ${claim.namespace}/${claim.name})` : ''}` : 'this volume'}`,
          `node ${node.name}: ${health.describe}`,
          ...vas.map((va) => `volumeattachment/${va.name}: attached=${va.attached}`),
          ...waiting.map((w) => `pod ${shortName(w)} waits for this volume on another node`),
        ];
        const ready = health.ready;
        findings.push(finding({
          // On a NotReady node the list is only the kubelet's last word; the stale attachment is the real problem there.
          severity: !health.ready ? 'info' : waiting.length ? 'critical' : 'warning',
          subject: nodeRef(node.name),
          idSuffix: pv?.name ?? unique,
          related: [...(pv ? [pvRef(pv.name)] : []), ...(claim ? [pvcRef(claim)] : []), ...vas.map((va) => vaRef(va.name)), ...waiting],
          // A NotReady node's list is the kubelet's last report, not a mount it is known to hold now.
          summary: ready
            ? `Node ${node.name} still has volume ${pv?.name ?? unique} in use, but no pod there uses it${waiting.length ? `; ${waiting.map(shortName).join(', ')} cannot attach it` : ''}`
            : `Node ${node.name} is NotReady and its last report still lists volume ${pv?.name ?? unique} in use, though no pod there uses it${waiting.length ? `; ${waiting.map(shortName).join(', ')} cannot attach it` : ''}`,
          evidence,
          explanation: ready
            ? `The kubelet on ${node.name} still reports the volume mounted, so the attach/detach controller will not detach it, and on a Ready node it never forces the detach. This is an orphaned mount, usually left by a kubelet restart or a force-deleted pod.`
            : `The kubelet on ${node.name} last reported the volume mounted. The node is NotReady, so the attach/detach controller force-detaches it ${MAX_WAIT_FOR_UNMOUNT_MS / 60_000} minutes after the last pod left (unless force detach is disabled) or at once if the node is tainted out-of-service.`,
          remedies: ready
            ? [
                `On node ${node.name}, restart the kubelet (systemctl restart kubelet) so it unmounts the orphaned volume; if the volume stays in use, drain the node (kubectl drain ${node.name} --ignore-daemonsets) and reboot it.`,
                `Watch it clear: kubectl get node ${node.name} -o jsonpath='{.status.volumesInUse}'`,
                'Deleting the VolumeAttachment by hand is unsafe while the node is alive and has the volume mounted: it can corrupt the data.',
              ]
            : [`Check whether ${node.name} is really off: ${kubectl.getNode(node.name)}`],
          blocks: waiting,
        }));
      }
    }
    return findings;
  },
});
