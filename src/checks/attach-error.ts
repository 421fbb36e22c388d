import { defineCheck, type FindingDraft } from './check.js';
import type { EventFact, PodFact } from '../model/snapshot.js';
import type { Graph } from '../graph.js';
import { nodeRef, podRef, pvRef, pvcRef, refKey, shortName, vaRef } from '../util/refs.js';
import { classificationLine, classifyVolumeMessage } from './classify-message.js';
import { finding, kubectl } from './common.js';
import { longhornLink, longhornVolumeNameOf } from './longhorn-common.js';
import { WAITING_POD_GRACE_MS } from './thresholds.js';

const ID = 'attach-error';

export const attachError = defineCheck({
  id: ID,
  title: 'Volume attach fails (VolumeAttachment status.attachError, or FailedAttachVolume events)',
  severity: 'critical',
  reads: ['volumeattachments', 'persistentvolumes', 'persistentvolumeclaims', 'pods', 'nodes', 'events', 'volumes.longhorn.io'],
  docs: `A VolumeAttachment is not attached and its status.attachError holds the error the CSI driver returned from ControllerPublishVolume. Pods on that node that use the volume stay in ContainerCreating, and the attach/detach controller records FailedAttachVolume "AttachVolume.Attach failed" events on them.

When the VolumeAttachment holds no error (or was not read), the FailedAttachVolume events of a pod that still waits beyond the grace period are reported on their own, unless the volume has since been attached to the pod's node. Multi-Attach events are left to the multi-attach check. The error is quoted verbatim and volume-doctor adds what it means and a safe next step when it recognises it (gRPC status codes, the fixed phrases of the CSI sidecars and clouds); otherwise it says the message is not classified. For a Longhorn volume it adds the Longhorn volume's state when Longhorn's objects were read, and says the finding rests on the message alone when they were not.

How Kubernetes gets there: the storage backend refuses the attach (volume still attached elsewhere in the backend, instance limit reached, volume not found, permissions), or the driver's node ID for the node is wrong.

Confirm by hand:
  kubectl get volumeattachment NAME -o jsonpath='{.status.attachError}'
  kubectl describe pod POD -n NS

Safe fix: fix the cause the error names in the storage backend; the external-attacher retries with backoff by itself.

Never: delete the VolumeAttachment to "retry": the controller recreates it and the error comes back, and a half-attached volume can be left behind.`,
  run(graph) {
    const findings: FindingDraft[] = [];
    for (const va of graph.allVolumeAttachments()) {
      if (!va.attachError || va.attached || va.deletionTimestamp) continue;
      const pv = va.persistentVolumeName ? graph.pv(va.persistentVolumeName) : undefined;
      if (pv ? !graph.inScope(pv) : graph.snapshot.namespace !== undefined) continue;
      const cls = classifyVolumeMessage(va.attachError.message, { phase: 'attach' });
      const lhName = longhornVolumeNameOf(pv, va.attacher);
      const lh = lhName ? longhornLink(graph, lhName) : undefined;
      const waiting = pv ? graph.podsUsingPv(pv.name).filter((p) => p.nodeName === va.nodeName && graph.isWaitingToStart(p)) : [];
      findings.push(finding({
        severity: waiting.length ? 'critical' : 'warning',
        subject: vaRef(va.name),
        related: [nodeRef(va.nodeName), ...(pv ? [pvRef(pv.name)] : []), ...waiting.map(podRef), ...(lh?.related ?? [])],
        summary: `Attaching ${va.persistentVolumeName ?? 'a volume'} to ${va.nodeName} fails: ${va.attachError.message}${waiting.length ? ` (${waiting.map(shortName).join(', ')} waits)` : ''}`,
        evidence: [
          `volumeattachment/${va.name}: attacher ${va.attacher}, node ${va.nodeName}, attached=false`,
          `status.attachError${va.attachError.time ? ` at ${va.attachError.time}` : ''}: ${va.attachError.message}`,
          classificationLine(cls),
          ...(lh?.evidence ?? []),
          ...waiting.map((p) => `pod ${shortName(p)} on ${va.nodeName} waits for the volume`),
        ],
        explanation: `The ${va.attacher} CSI driver refused to attach the volume to ${va.nodeName}. The external-attacher retries with backoff; the pod cannot start until an attach succeeds.${cls ? ` Likely cause: ${cls.cause}.` : ''}`,
        remedies: [
          ...(cls ? [cls.nextStep] : []),
          ...(lh?.remedy ? [lh.remedy] : []),
          `Fix what the error names in the storage backend; the attacher retries by itself. Watch: ${kubectl.getVa(va.name)}`,
          'Do not delete the VolumeAttachment to retry: the controller recreates it and the same error returns.',
        ],
        since: va.attachError.time ?? va.creationTimestamp,
        blocks: waiting.map(podRef),
      }));
    }
    return [...findings, ...fromEvents(graph, new Set(findings.flatMap((f) => f.blocks.map(refKey))))];
  },
});

/** FailedAttachVolume events (not Multi-Attach) of pods that still wait, grouped by pod and volume. */
function fromEvents(graph: Graph, covered: Set<string>): FindingDraft[] {
  const groups = new Map<string, { pod: PodFact; volume?: string; events: EventFact[] }>();
  for (const e of graph.snapshot.events) {
    if (e.reason !== 'FailedAttachVolume' || e.type !== 'Warning' || e.involvedObject.kind !== 'Pod') continue;
    if (/^\s*Multi-Attach error/i.test(e.message)) continue; // the multi-attach check reads these
    const pod = graph.pod(e.involvedObject.namespace ?? e.namespace ?? '', e.involvedObject.name);
    if (!pod || !graph.isWaitingToStart(pod) || covered.has(refKey(podRef(pod)))) continue;
    if (graph.waitingForMs(pod) < WAITING_POD_GRACE_MS) continue; // a hand-over still inside its grace
    if (e.involvedObject.uid && pod.uid && e.involvedObject.uid !== pod.uid) continue; // an earlier pod with the same name
    const volume = /for volume "([^"]+)"/.exec(e.message)?.[1];
    const k = `${pod.namespace}/${pod.name}/${volume ?? ''}`;
    const group = groups.get(k) ?? { pod, volume, events: [] };
    group.events.push(e);
    groups.set(k, group);
  }
  const findings: FindingDraft[] = [];
  for (const { pod, volume, events } of groups.values()) {
    const podVolume = graph.podVolumes(pod).find((v) => v.volume === volume || v.pv?.name === volume);
    const pv = podVolume?.pv ?? (volume ? graph.pv(volume) : undefined);
    if (pv && pod.nodeName && graph.isAttachedTo(pv, pod.nodeName)) continue; // attached since: the events are history
    events.sort((a, b) => (b.lastTimestamp ?? '').localeCompare(a.lastTimestamp ?? ''));
    const latest = events[0];
    const cls = classifyVolumeMessage(latest.message, { phase: 'attach' });
    const lhName = longhornVolumeNameOf(pv) ?? (cls?.id.startsWith('longhorn-') ? pv?.name ?? volume : undefined);
    const lh = lhName ? longhornLink(graph, lhName) : undefined;
    findings.push(finding({
      severity: 'critical',
      subject: podRef(pod),
      idSuffix: volume,
      related: [nodeRef(pod.nodeName!), ...(podVolume ? [pvcRef({ namespace: pod.namespace, name: podVolume.claimName })] : []), ...(pv ? [pvRef(pv.name)] : []), ...(lh?.related ?? [])],
      summary: `Attaching ${volume ? `volume ${volume}` : 'a volume'} to ${pod.nodeName} for pod ${shortName(pod)} fails: ${latest.message.split('\n')[0]}`,
      evidence: [
        ...events.slice(0, 3).map((e) => `event FailedAttachVolume (x${e.count}, last ${e.lastTimestamp ?? 'unknown'}${e.component ? `, from ${e.component}` : ''}): ${e.message.replace(/\s*\n\s*/g, ' | ')}`),
        classificationLine(cls),
        ...(lh?.evidence ?? []),
        `no VolumeAttachment with an attach error was found for it${graph.wasRead('volumeattachments') ? '' : ' (VolumeAttachments were not read)'}; this rests on the events`,
      ],
      explanation: `The attach/detach controller could not attach the volume to ${pod.nodeName}, so the pod stays in ContainerCreating; it retries with backoff.${cls ? ` Likely cause: ${cls.cause}.` : ''}`,
      remedies: [
        ...(cls ? [cls.nextStep] : ['Fix what the error names in the storage backend; the attach is retried by itself.']),
        ...(lh?.remedy ? [lh.remedy] : []),
        `Check it: ${kubectl.describePod(pod)}`,
        'Do not delete the VolumeAttachment to retry: the controller recreates it and the same error returns.',
      ],
      since: latest.firstTimestamp,
      blocks: [podRef(pod)],
    }));
  }
  return findings;
}
