// The action table: for each action fix can take, the guards that must pass, the kubectl command that does the same
// by hand, the API write, and when its symptom counts as cleared. Which finding leads to which action is the table
// of fixes in plan.ts, keyed by check id.
import type { KubeClient } from '../cluster/kube-client.js';
import type { Finding } from '../model/finding.js';
import type { ObjectRef, Snapshot } from '../model/snapshot.js';
import type { Graph } from '../graph.js';
import { OUT_OF_SERVICE_EFFECT, OUT_OF_SERVICE_TAINT, OUT_OF_SERVICE_VALUE } from '../model/kubernetes-names.js';
import { findCheck } from '../checks/index.js';
import { readsResource } from '../checks/check.js';
import { READY_TRUST_MS } from '../checks/thresholds.js';
import { diagnoseSnapshot } from '../engine.js';
import {
  hasTaintGuard, nodeAbsentGuard, nodeDownGuards, nodeReadyForGuard, noLivePodGuard, podTerminatingGuard, serverVersionGuard, taintUnavailableOrTried,
} from './guards.js';
import type { ActionType, Guard, PlanOptions } from './types.js';
import type { Precondition, WriteOptions } from './writes.js';
import { deleteVolumeAttachment, forceDeletePod, patchOutOfServiceTaint } from './writes.js';

interface Cleared {
  done: boolean;
  detail: string;
}

export interface ActionSpec {
  /** The guards, judged against `graph`: the plan's, or one re-read just before the write. */
  guards(target: ObjectRef, graph: Graph, options: PlanOptions): Guard[];
  /** The kubectl command that does the same by hand. */
  command(target: ObjectRef): string;
  /** The write, conditional on the target as planned; `fresh` is the graph re-read just before it. */
  write(client: KubeClient, target: ObjectRef, fresh: Graph, pre: Precondition, o: WriteOptions): Promise<void>;
  /**
   * Whether the symptom is gone in `snapshot`, read after the write. `everyNode`: the read listed every node (a
   * targeted read GETs only the nodes in its view, so it cannot show that no Ready node would take a pod).
   */
  cleared(snapshot: Snapshot, finding: Finding | undefined, actionFinding: string, options: PlanOptions, everyNode: boolean, planned: Graph): Cleared;
}

/** The symptom is gone when the finding no longer shows and the pods it blocked run. */
/** A pod that had no controller when planned is not replaced once deleted (pod GC deletes it after the taint). */
export function deletedForGood(planned: Graph, ref: ObjectRef): string | undefined {
  const before = ref.kind === 'Pod' ? planned.pod(ref.namespace ?? '', ref.name) : undefined;
  return before && !before.owner ? `pod ${before.namespace}/${before.name} was deleted and nothing recreates it (it had no controller): create it again if it is still needed` : undefined;
}

function findingCleared(snapshot: Snapshot, finding: Finding | undefined, actionFinding: string, options: PlanOptions, everyNode: boolean, planned: Graph): Cleared {
  // A finding missing from a snapshot that did not read what its check reads has not been shown to clear.
  const check = finding && findCheck(finding.check);
  const unread = check ? snapshot.incomplete.filter((i) => readsResource(check, i.resource)) : [];
  if (unread.length) return { done: false, detail: `could not read ${unread.map((i) => `${i.resource} (${i.reason})`).join(', ')}` };
  const { graph, findings } = diagnoseSnapshot(snapshot, undefined, { readyTrustMs: options.nodeReadyForMs });
  if (findings.some((f) => f.id === actionFinding)) return { done: false, detail: 'the finding still shows' };
  const said: string[] = [];
  for (const ref of finding?.blocks ?? []) {
    const pod = graph.pod(ref.namespace ?? '', ref.name);
    // Gone only where the re-read listed every pod of the run's scope: a targeted re-read lists the pods in view.
    const gone = !pod && everyNode && graph.wasRead('pods') ? deletedForGood(planned, ref) : undefined;
    if (pod && !pod.deletionTimestamp && pod.phase === 'Running') said.push(`pod ${pod.namespace}/${pod.name} runs on ${pod.nodeName}`);
    // Its node selector or node affinity (its own or its volume's) allows only nodes that are not Ready: no write
    // can move it, and waiting for it would outlast any timeout.
    else if (pod && !pod.deletionTimestamp && everyNode && graph.wasRead('nodes') && !graph.readyNodesFor(pod).length) said.push(`pod ${pod.namespace}/${pod.name} can run on no Ready node (node selector or affinity): it runs once its node is back`);
    else if (gone) said.push(gone);
    else return { done: false, detail: `waiting for pod ${ref.namespace}/${ref.name} to run` };
  }
  return { done: true, detail: said.length ? said.join(', ') : 'the finding is gone' };
}

export const ACTIONS: Record<ActionType, ActionSpec> = {
  'taint-out-of-service': {
    guards: (target, graph, options) => [
      serverVersionGuard(graph), hasTaintGuard(graph, target.name, false), ...nodeDownGuards(graph, target.name, options.nodeDownForMs, options.confirmNodeDown),
    ],
    command: (target) => `kubectl taint node ${target.name} ${OUT_OF_SERVICE_TAINT}=${OUT_OF_SERVICE_VALUE}:${OUT_OF_SERVICE_EFFECT}`,
    write: (client, target, fresh, pre, o) => patchOutOfServiceTaint(client, target.name, true, fresh, pre, o),
    cleared: findingCleared,
  },
  'remove-out-of-service-taint': {
    guards: (target, graph, options) => [hasTaintGuard(graph, target.name, true), nodeReadyForGuard(graph, target.name, options.nodeReadyForMs ?? READY_TRUST_MS)],
    command: (target) => `kubectl taint node ${target.name} ${OUT_OF_SERVICE_TAINT}-`,
    write: (client, target, fresh, pre, o) => patchOutOfServiceTaint(client, target.name, false, fresh, pre, o),
    cleared: findingCleared,
  },
  'delete-volumeattachment': {
    guards: (target, graph, options) => {
      const va = graph.volumeAttachment(target.name);
      if (!va) return [{ name: 'object-exists', ok: false, detail: `volumeattachment ${target.name} is gone` }];
      const live = noLivePodGuard(graph, va.nodeName, va.persistentVolumeName);
      if (!graph.node(va.nodeName)) return [nodeAbsentGuard(graph, va.nodeName), live];
      return [...nodeDownGuards(graph, va.nodeName, options.nodeDownForMs, options.confirmNodeDown), live, taintUnavailableOrTried(graph, va.nodeName)];
    },
    command: (target) => `kubectl delete volumeattachment ${target.name}`,
    write: (client, target, _fresh, pre, o) => deleteVolumeAttachment(client, target.name, pre, o),
    cleared: findingCleared,
  },
  'force-delete-pod': {
    guards: (target, graph, options) => {
      const pod = graph.pod(target.namespace ?? '', target.name);
      if (!pod?.nodeName) return [podTerminatingGuard(graph, target.namespace ?? '', target.name)];
      return [
        podTerminatingGuard(graph, pod.namespace, pod.name), ...nodeDownGuards(graph, pod.nodeName, options.nodeDownForMs, options.confirmNodeDown),
        taintUnavailableOrTried(graph, pod.nodeName),
      ];
    },
    command: (target) => `kubectl delete pod ${target.name} -n ${target.namespace} --grace-period=0 --force`,
    write: (client, target, _fresh, pre, o) => forceDeletePod(client, target.namespace ?? '', target.name, pre, o),
    cleared: findingCleared,
  },
};

/** The guards of one action, judged against `graph`. */
export function guardsFor(type: ActionType, target: ObjectRef, graph: Graph, options: PlanOptions): Guard[] {
  return ACTIONS[type].guards(target, graph, options);
}

export function commandFor(type: ActionType, target: ObjectRef): string {
  return ACTIONS[type].command(target);
}
