import { defineCheck, type FindingDraft } from './check.js';
import { nodeRef, pvRef, shortName, vaRef } from '../util/refs.js';
import { classificationLine, classifyVolumeMessage } from './classify-message.js';
import { finding, kubectl, podsWaitingRefs } from './common.js';

const ID = 'detach-error';

export const detachError = defineCheck({
  id: ID,
  title: 'CSI detach fails (VolumeAttachment status.detachError)',
  severity: 'critical',
  reads: ['volumeattachments', 'persistentvolumes', 'pods', 'nodes'],
  docs: `A VolumeAttachment's status.detachError holds the error the CSI driver returned from ControllerUnpublishVolume. There is no FailedDetachVolume event: this field, a VolumeAttachment stuck with a deletionTimestamp, and the volume remaining in the node's volumesAttached are the only traces.

How Kubernetes gets there: the storage backend cannot detach (the node's instance is unresponsive, the volume is busy, API errors, permissions). The error is quoted verbatim; volume-doctor adds what it means and a safe next step when it recognises it (gRPC status codes, the fixed phrases of the CSI sidecars and clouds), and says "not classified" otherwise.

Confirm by hand:
  kubectl get volumeattachment NAME -o jsonpath='{.status.detachError}'
  kubectl get node NODE -o jsonpath='{.status.volumesAttached}'

Safe fix: fix the cause in the backend; the external-attacher retries by itself and then removes its finalizer.

Never: remove the VolumeAttachment's finalizer while the backend still has the volume attached: it could then be attached to a second node and corrupted.`,
  run(graph) {
    const findings: FindingDraft[] = [];
    for (const va of graph.allVolumeAttachments()) {
      if (!va.detachError) continue;
      const pv = va.persistentVolumeName ? graph.pv(va.persistentVolumeName) : undefined;
      if (pv ? !graph.inScope(pv) : graph.snapshot.namespace !== undefined) continue;
      const cls = classifyVolumeMessage(va.detachError.message, { phase: 'detach' });
      const waiting = pv ? podsWaitingRefs(graph, pv) : [];
      findings.push(finding({
        severity: waiting.length ? 'critical' : 'warning',
        subject: vaRef(va.name),
        related: [nodeRef(va.nodeName), ...(pv ? [pvRef(pv.name)] : []), ...waiting],
        summary: `Detaching ${va.persistentVolumeName ?? 'a volume'} from ${va.nodeName} fails: ${va.detachError.message}${waiting.length ? ` (${waiting.map(shortName).join(', ')} waits)` : ''}`,
        evidence: [
          `volumeattachment/${va.name}: attacher ${va.attacher}, node ${va.nodeName}, attached=${va.attached}${va.deletionTimestamp ? `, deleting since ${va.deletionTimestamp}` : ''}`,
          `status.detachError${va.detachError.time ? ` at ${va.detachError.time}` : ''}: ${va.detachError.message}`,
          classificationLine(cls),
          ...waiting.map((w) => `pod ${shortName(w)} waits for the volume`),
        ],
        explanation: `The ${va.attacher} CSI driver failed to detach the volume from ${va.nodeName}. The attachment stays until a detach succeeds, and an exclusive volume cannot be attached elsewhere meanwhile.${cls ? ` Likely cause: ${cls.cause}.` : ''}`,
        remedies: [
          ...(cls ? [cls.nextStep] : []),
          `Fix what the error names in the storage backend; the attacher retries by itself. Watch: ${kubectl.getVa(va.name)}`,
          'Do not remove the finalizer by hand unless the backend confirms the volume is detached.',
        ],
        since: va.detachError.time ?? va.deletionTimestamp,
        blocks: waiting,
      }));
    }
    return findings;
  },
});
