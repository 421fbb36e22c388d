import type { Severity } from '../model/finding.js';
import { defineCheck, type FindingDraft } from './check.js';
import type { EventFact, ObjectRef, PodFact } from '../model/snapshot.js';
import type { Graph } from '../graph.js';
import { nodeRef, podRef, pvRef, pvcRef, shortName } from '../util/refs.js';
import { formatDuration } from '../util/time.js';
import { classificationLine, classifyVolumeMessage } from './classify-message.js';
import { finding, kubectl } from './common.js';
import { VOLUME_WAIT_CRITICAL_MS } from './thresholds.js';

const ID = 'mount-failure';

/** `Mounting arguments: -t nfs [-o opts] server:/export /var/lib/kubelet/...` */
function nfsTarget(message: string): { server: string; path: string } | undefined {
  const m = /-t nfs4?\s+(?:-o\s+\S+\s+)?(\[[^\]]+\]|[^\s:]+):(\/\S*)/.exec(message);
  return m ? { server: m[1], path: m[2] } : undefined;
}

function volumeNameIn(message: string): string | undefined {
  return /for volume "([^"]+)"/.exec(message)?.[1];
}

function nfsFromSpec(graph: Graph, pod: PodFact, volume: string | undefined): { server: string; path: string } | undefined {
  if (!volume) return undefined;
  const inline = pod.nfsVolumes.find((v) => v.volume === volume);
  if (inline) return inline;
  // FailedMount names the PV for PVC-backed volumes, the pod volume name otherwise.
  return graph.pv(volume)?.nfs ?? graph.podVolumes(pod).find((v) => v.volume === volume)?.pv?.nfs;
}

const isGenericTimeout = (e: EventFact) => /^Unable to attach or mount volumes/.test(e.message);

export const mountFailure = defineCheck({
  id: ID,
  title: 'Volume mount fails on the node (FailedMount)',
  severity: 'critical',
  reads: ['events', 'pods', 'persistentvolumeclaims', 'persistentvolumes'],
  docs: `The kubelet reports FailedMount events for a pod that has not started: MountVolume.SetUp, MountVolume.MountDevice or MountVolume.WaitForAttach failed. The event quotes the mount error. For NFS, volume-doctor recognises the usual causes (server unreachable or timing out, connection refused, stale file handle, access denied) and names the server and export. Other mount errors are quoted verbatim, with what they mean and a safe next step when volume-doctor recognises them (CSI driver not registered on the node, damaged file system, missing mount helper, RBD image in use, iSCSI login, busy unmount, gRPC status codes), or "not classified" otherwise; behind the kubelet's generic "timed out waiting" message, the newest specific error is the one explained.

How Kubernetes gets there: the volume is attached (or needs no attach) but the node cannot mount it: network to the file server, export permissions, a filesystem that needs repair, a missing mount helper on the node (mount.nfs from nfs-common), or a CSI node plugin error.

Notes: events expire after an hour (API server --event-ttl), and since Kubernetes 1.28 a plain mount timeout leaves no event at all. Old FailedMount events about pods that have since started are ignored.

Confirm by hand:
  kubectl describe pod POD -n NS     (Events section)
  on the node: mount -t nfs SERVER:/EXPORT /mnt (for NFS), journalctl -u kubelet

Safe fix: fix what the mount error names; the kubelet retries the mount by itself.

Never: force-delete the pod to "retry" a mount on a node where an older mount of the same volume is stale; clean up the stale mount first.`,
  run(graph) {
    const findings: FindingDraft[] = [];
    const byPodVolume = new Map<string, { pod: PodFact; volume?: string; events: EventFact[] }>();
    for (const e of graph.snapshot.events) {
      if (e.reason !== 'FailedMount' || e.type !== 'Warning' || e.involvedObject.kind !== 'Pod') continue;
      const pod = graph.pod(e.involvedObject.namespace ?? e.namespace ?? '', e.involvedObject.name);
      if (!pod || !graph.isWaitingToStart(pod)) continue;
      if (e.involvedObject.uid && pod.uid && e.involvedObject.uid !== pod.uid) continue; // an earlier pod with the same name
      const volume = volumeNameIn(e.message);
      const k = `${pod.namespace}/${pod.name}/${volume ?? ''}`;
      const entry = byPodVolume.get(k) ?? { pod, volume, events: [] };
      entry.events.push(e);
      byPodVolume.set(k, entry);
    }
    for (const { pod, volume, events } of byPodVolume.values()) {
      events.sort((a, b) => (b.lastTimestamp ?? '').localeCompare(a.lastTimestamp ?? ''));
      const latest = events[0];
      const generic = events.every(isGenericTimeout);
      const isNfs = /nfs/i.test(latest.message) || !!nfsFromSpec(graph, pod, volume);
      // The newest event that names a cause (not the kubelet's "timed out waiting" summary), classified by the shared table.
      const specific = events.find((e) => !isGenericTimeout(e));
      const cls = specific ? classifyVolumeMessage(specific.message, { phase: 'mount', nfs: isNfs }) : undefined;
      const problem = cls?.id.startsWith('nfs-') && specific === latest ? cls : undefined;
      const target = isNfs ? (nfsTarget(latest.message) ?? nfsFromSpec(graph, pod, volume)) : undefined;
      const related: ObjectRef[] = pod.nodeName ? [nodeRef(pod.nodeName)] : [];
      const podVolume = graph.podVolumes(pod).find((v) => v.volume === volume || v.pv?.name === volume);
      if (podVolume) related.push(pvcRef({ namespace: pod.namespace, name: podVolume.claimName }));
      if (podVolume?.pv) related.push(pvRef(podVolume.pv.name));
      // The generic timeout is a symptom, but a pod blocked by it is blocked: a warning at first, critical once it
      // has waited as long as any other volume outage (the cause is often reported by another finding too).
      const waited = graph.waitingForMs(pod);
      const severity: Severity = !generic || waited >= VOLUME_WAIT_CRITICAL_MS ? 'critical' : 'warning';
      const where = target ? ` from NFS server ${target.server}, export ${target.path}` : '';
      const cause = problem?.cause ?? (generic ? 'the kubelet timed out waiting for volumes to attach or mount' : latest.message.split('\n')[0]);
      findings.push(finding({
        severity,
        subject: podRef(pod),
        idSuffix: volume,
        related,
        summary: `Pod ${shortName(pod)} cannot mount ${volume ? `volume ${volume}` : 'its volumes'}${where} on ${pod.nodeName}: ${cause}`,
        evidence: [
          ...events.slice(0, 3).map((e) => `event FailedMount (x${e.count}, last ${e.lastTimestamp ?? 'unknown'}${e.component ? `, from ${e.component}` : ''}): ${e.message.replace(/\s*\n\s*/g, ' | ')}`),
          ...(specific ? [classificationLine(cls)] : []),
        ],
        explanation: generic
          ? `The kubelet gave up waiting for the volumes in this round and will retry; the pod has waited ${formatDuration(waited)}. This message is the symptom; the cause is usually an attach problem reported by another finding for the same pod.`
          : `The kubelet on ${pod.nodeName} could not mount the volume, so the pod stays in ContainerCreating and the kubelet keeps retrying.${cls && !problem ? ` Likely cause: ${cls.cause}.` : ''}`,
        remedies: [
          cls?.nextStep ?? (generic ? 'Look at the other findings for this pod, or at the pod\'s events for the attach error.' : 'Fix what the mount error names; the kubelet retries by itself.'),
          `Check it: ${kubectl.describePod(pod)}`,
        ],
        since: latest.firstTimestamp,
        blocks: [podRef(pod)],
      }));
    }
    return findings;
  },
});
