import type { CheckId, Finding } from '../model/finding.js';
import type { Check } from './check.js';
import { SEVERITY_RANK } from '../model/finding.js';
import type { Graph } from '../graph.js';
import { multiAttach } from './multi-attach.js';
import { staleVolumeAttachment } from './stale-volume-attachment.js';
import { terminatingPodOnUnreachableNode } from './terminating-pod-on-unreachable-node.js';
import { volumeInUseWithoutPod } from './volume-in-use-without-pod.js';
import { volumeAttachmentStuckDeleting } from './volume-attachment-stuck-deleting.js';
import { attachError } from './attach-error.js';
import { detachError } from './detach-error.js';
import { outOfServiceTaintLeft } from './out-of-service-taint-left.js';
import { mountFailure } from './mount-failure.js';
import { nodeDownWithVolumes } from './node-down-with-volumes.js';
import { csiDriverNotRegistered } from './csi-driver-not-registered.js';
import { pvcPending } from './pvc-pending.js';
import { pvcTerminatingInUse } from './pvc-terminating-in-use.js';
import { pvcLost } from './pvc-lost.js';
import { pvReleasedOrFailed } from './pv-released-or-failed.js';
import { pvTerminating } from './pv-terminating.js';
import { longhornVolumeStuck } from './longhorn-volume-stuck.js';
import { longhornReplicaDiskMismatch } from './longhorn-replica-disk-mismatch.js';
import { longhornVolumeFaulted } from './longhorn-volume-faulted.js';
import { longhornNodeDownPolicy } from './longhorn-node-down-policy.js';
import { podSchedulingBlockedByVolume } from './pod-scheduling-blocked-by-volume.js';
import { pvcExpansionStuck } from './pvc-expansion-stuck.js';
import { orphanedPodVolumes } from './orphaned-pod-volumes.js';
import { volumeWaitUnexplained } from './volume-wait-unexplained.js';

const LIST = [
  multiAttach,
  terminatingPodOnUnreachableNode,
  staleVolumeAttachment,
  volumeInUseWithoutPod,
  volumeAttachmentStuckDeleting,
  attachError,
  detachError,
  mountFailure,
  outOfServiceTaintLeft,
  nodeDownWithVolumes,
  csiDriverNotRegistered,
  pvcPending,
  pvcTerminatingInUse,
  pvcLost,
  pvReleasedOrFailed,
  pvTerminating,
  longhornVolumeStuck,
  longhornReplicaDiskMismatch,
  longhornVolumeFaulted,
  longhornNodeDownPolicy,
  podSchedulingBlockedByVolume,
  pvcExpansionStuck,
  orphanedPodVolumes,
  // Last: it is given the findings above and covers only the waiting pods and claims they do not name.
  volumeWaitUnexplained,
] as const;

declare module '../model/finding.js' {
  /** Every check id; a check id written anywhere else (findings, the action table) is checked against it. */
  interface CheckRegistry {
    id: (typeof LIST)[number]['id'];
  }
}
export type { CheckId };

/** The checks in report order (the README table and `explain` list them so). */
export const CHECKS: readonly Check<CheckId>[] = LIST;

/** The registry: each check by its id. */
export const CHECK_BY_ID = Object.fromEntries(LIST.map((c) => [c.id, c])) as { [C in (typeof LIST)[number] as C['id']]: C };

function isCheckId(id: string): id is CheckId {
  return Object.hasOwn(CHECK_BY_ID, id);
}

export function findCheck(id: string): Check<CheckId> | undefined {
  return isCheckId(id) ? CHECK_BY_ID[id] : undefined;
}

/**
 * Runs every check and returns findings, most severe first, in a stable order. Fallback checks run last and are
 * given the other checks' findings, so they speak only about what nothing else explained.
 */
export function runChecks(graph: Graph, checks: readonly Check[] = CHECKS): Finding[] {
  const first = checks.filter((c) => c.phase !== 'fallback').flatMap((check) => check.run(graph));
  const fallback = checks.filter((c) => c.phase === 'fallback').flatMap((check) => check.run(graph, first));
  return [...first, ...fallback].sort((a, b) => SEVERITY_RANK[b.severity] - SEVERITY_RANK[a.severity] || a.id.localeCompare(b.id));
}
