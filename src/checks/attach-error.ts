import type { Check, Finding } from '../model/finding.js';
import { nodeRef, podRef, pvRef, shortName, vaRef } from '../util/refs.js';
import { classificationLine, classifyVolumeMessage } from './classify-message.js';
import { finding, kubectl } from './common.js';

const ID = 'attach-error';

export const attachError: Check = {
  id: ID,
  title: 'CSI attach fails (VolumeAttachment status.attachError)',
  severity: 'critical',
  reads: ['volumeattachments', 'persistentvolumes', 'pods', 'nodes'],
  docs: `A VolumeAttachment is not attached and its status.attachError holds the error the CSI driver returned from ControllerPublishVolume. Pods on that node that use the volume stay in ContainerCreating, and the attach/detach controller records FailedAttachVolume "AttachVolume.Attach failed" events on them.

How Kubernetes gets there: the storage backend refuses the attach (volume still attached elsewhere in the backend, instance limit reached, volume not found, permissions), or the driver's node ID for the node is wrong.

Confirm by hand:
  kubectl get volumeattachment NAME -o jsonpath='{.status.attachError}'
  kubectl describe pod POD -n NS

Safe fix: fix the cause the error names in the storage backend; the external-attacher retries with backoff by itself.

Never: delete the VolumeAttachment to "retry": the controller recreates it and the error comes back, and a half-attached volume can be left behind.`,
  run(graph) {
    const findings: Finding[] = [];
    for (const va of graph.allVolumeAttachments()) {
      if (!va.attachError || va.attached || va.deletionTimestamp) continue;
      const pv = va.persistentVolumeName ? graph.pv(va.persistentVolumeName) : undefined;
      if (pv ? !graph.inScope(pv) : graph.snapshot.namespace !== undefined) continue;
      const cls = classifyVolumeMessage(va.attachError.message, { phase: 'attach' });
      const waiting = pv ? graph.podsUsingPv(pv.name).filter((p) => p.nodeName === va.nodeName && graph.isWaitingToStart(p)) : [];
      findings.push(finding({
        check: ID,
        severity: waiting.length ? 'critical' : 'warning',
        subject: vaRef(va.name),
        related: [nodeRef(va.nodeName), ...(pv ? [pvRef(pv.name)] : []), ...waiting.map(podRef)],
        summary: `Attaching ${va.persistentVolumeName ?? 'a volume'} to ${va.nodeName} fails: ${va.attachError.message}${waiting.length ? ` (${waiting.map(shortName).join(', ')} waits)` : ''}`,
        evidence: [
          `volumeattachment/${va.name}: attacher ${va.attacher}, node ${va.nodeName}, attached=false`,
          `status.attachError${va.attachError.time ? ` at ${va.attachError.time}` : ''}: ${va.attachError.message}`,
          classificationLine(cls),
          ...waiting.map((p) => `pod ${shortName(p)} on ${va.nodeName} waits for the volume`),
        ],
        explanation: `The ${va.attacher} CSI driver refused to attach the volume to ${va.nodeName}. The external-attacher retries with backoff; the pod cannot start until an attach succeeds.${cls ? ` Likely cause: ${cls.cause}.` : ''}`,
        remedies: [
          ...(cls ? [cls.nextStep] : []),
          `Fix what the error names in the storage backend; the attacher retries by itself. Watch: ${kubectl.getVa(va.name)}`,
          'Do not delete the VolumeAttachment to retry: the controller recreates it and the same error returns.',
        ],
        since: va.attachError.time ?? va.creationTimestamp,
        blocks: waiting.map(podRef),
      }));
    }
    return findings;
  },
};
