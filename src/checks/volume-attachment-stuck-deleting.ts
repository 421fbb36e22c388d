import { defineCheck, type FindingDraft } from './check.js';
import { nodeRef, pvRef, shortName, vaRef } from '../util/refs.js';
import { formatDuration, toMillis } from '../util/time.js';
import { finding, kubectl, podsWaitingRefs } from './common.js';
import { DETACH_STUCK_AFTER_MS } from './thresholds.js';

const ID = 'volume-attachment-stuck-deleting';

/** The external-attacher's finalizer: `external-attacher/<driver>` with every character outside [a-zA-Z0-9-] replaced by '-'. */
export function attacherFinalizer(driver: string): string {
  return `external-attacher/${driver.replace(/[^a-zA-Z0-9-]/g, '-')}`;
}

export const volumeAttachmentStuckDeleting = defineCheck({
  id: ID,
  title: 'VolumeAttachment stuck deleting (detach not finishing)',
  severity: 'critical',
  reads: ['volumeattachments', 'persistentvolumes', 'pods', 'nodes'],
  docs: `A VolumeAttachment has had a deletionTimestamp for more than two minutes. The attach/detach controller deleted it to detach the volume, and the CSI external-attacher must call ControllerUnpublish and then remove its finalizer (external-attacher/<driver>). Until then the volume cannot be attached again, on any node.

How Kubernetes gets there: the detach fails in the storage backend (status.detachError says why), or the CSI controller pod that runs the external-attacher is down or crash-looping, or the driver was uninstalled.

Confirm by hand:
  kubectl get volumeattachment NAME -o yaml    (deletionTimestamp, finalizers, status.detachError)
  kubectl get pods -A | grep -i csi            (is the driver's controller running?)
  kubectl logs -n DRIVER_NS DRIVER_CONTROLLER_POD -c csi-attacher

Safe fix: make the attacher work: fix the detachError's cause in the backend, or restart the CSI controller. It then removes its finalizer by itself.

Never: remove the finalizer by hand unless you have confirmed in the storage backend that the volume is detached from the node; otherwise the volume may be attached twice and its data corrupted.`,
  run(graph) {
    const findings: FindingDraft[] = [];
    for (const va of graph.allVolumeAttachments()) {
      const deleting = toMillis(va.deletionTimestamp);
      if (deleting === undefined || graph.now - deleting < DETACH_STUCK_AFTER_MS) continue;
      const pv = va.persistentVolumeName ? graph.pv(va.persistentVolumeName) : undefined;
      if (pv ? !graph.inScope(pv) : graph.snapshot.namespace !== undefined) continue;
      const waiting = pv ? podsWaitingRefs(graph, pv) : [];
      const expected = attacherFinalizer(va.attacher);
      const finalizers = va.finalizers.length ? va.finalizers.join(', ') : 'none';
      const evidence = [
        `volumeattachment/${va.name}: deleting for ${formatDuration(graph.now - deleting)}, node ${va.nodeName}, attached=${va.attached}`,
        `finalizers: ${finalizers} (the ${va.attacher} external-attacher removes ${expected} once the detach succeeds)`,
        `node ${va.nodeName}: ${graph.nodeHealth(va.nodeName).describe}`,
      ];
      if (va.detachError) evidence.push(`status.detachError${va.detachError.time ? ` at ${va.detachError.time}` : ''}: ${va.detachError.message}`);
      for (const w of waiting) evidence.push(`pod ${shortName(w)} waits for ${va.persistentVolumeName}`);
      // The error itself is detach-error's finding, next to this one; saying it twice buries the rest.
      const cause = va.detachError
        ? 'the detach keeps failing (status.detachError, see the detach-error finding)'
        : `the ${va.attacher} attacher has not finished the detach (is its controller running?)`;
      findings.push(finding({
        severity: waiting.length ? 'critical' : 'warning',
        subject: vaRef(va.name),
        related: [nodeRef(va.nodeName), ...(pv ? [pvRef(pv.name)] : []), ...waiting],
        summary: `VolumeAttachment ${va.name} (${va.persistentVolumeName ?? 'unknown volume'} on ${va.nodeName}) has been deleting for ${formatDuration(graph.now - deleting)}: ${cause}${waiting.length ? `; ${waiting.map(shortName).join(', ')} waits for it` : ''}`,
        evidence,
        explanation: `Deleting a VolumeAttachment asks the CSI external-attacher of ${va.attacher} to detach the volume; the object disappears only when the attacher removes its finalizer ${expected}. Until then the volume cannot be attached anywhere.`,
        remedies: [
          va.detachError
            ? 'Fix the cause of the detach error (status.detachError) in the storage backend; the attacher retries by itself.'
            : `Check the CSI controller of ${va.attacher}: kubectl get pods -A | grep -i csi, then its csi-attacher container's logs.`,
          `Watch it: ${kubectl.getVa(va.name)}`,
          `Only if the backend confirms the volume is detached from ${va.nodeName}: kubectl patch volumeattachment ${va.name} --type=json -p '[{"op":"remove","path":"/metadata/finalizers"}]'. Removing the finalizer otherwise can attach the volume twice and corrupt data.`,
        ],
        since: va.deletionTimestamp,
        blocks: waiting,
      }));
    }
    return findings;
  },
});
