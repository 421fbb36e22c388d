// The API writes of fix, one per action type, and the Event that records each; every write is conditional on the
// object as fix last read it (uid and resourceVersion), so a change since makes the server refuse it.
import { hostname } from 'node:os';
import type { KubeClient } from '../cluster/kube-client.js';
import type { Graph } from '../graph.js';
import { OUT_OF_SERVICE_EFFECT, OUT_OF_SERVICE_TAINT, OUT_OF_SERVICE_VALUE } from '../model/kubernetes-names.js';
import { CORE_KINDS, kindByKey, resourcePath } from '../model/kinds.js';
import type { Action } from './types.js';

const EVENT_REASON = 'VolumeDoctorRemediation';

/** The object as last read: a write succeeds only if it is still this object at this version. */
export interface Precondition {
  uid: string;
  resourceVersion: string;
}

export interface WriteOptions {
  /** Send with dryRun=All: admission and RBAC judge it, nothing is stored. */
  serverDryRun: boolean;
}

const dryRunQuery = (o: WriteOptions) => (o.serverDryRun ? { dryRun: 'All' } : undefined);

/** Sets (`on`) or removes the out-of-service taint, keeping the node's other taints. */
export async function patchOutOfServiceTaint(client: KubeClient, node: string, on: boolean, fresh: Graph, pre: Precondition, o: WriteOptions): Promise<void> {
  const current = fresh.node(node)!;
  const others = current.taints.filter((t) => t.key !== OUT_OF_SERVICE_TAINT).map(({ key, value, effect, timeAdded }) => ({ key, value, effect, timeAdded }));
  const taints = on ? [...others, { key: OUT_OF_SERVICE_TAINT, value: OUT_OF_SERVICE_VALUE, effect: OUT_OF_SERVICE_EFFECT }] : others;
  // The test op makes the patch conditional: a node changed since it was read rejects it.
  const patch = [
    { op: 'test', path: '/metadata/resourceVersion', value: pre.resourceVersion },
    { op: 'test', path: '/metadata/uid', value: pre.uid },
    { op: 'add', path: '/spec/taints', value: taints.map((t) => JSON.parse(JSON.stringify(t))) },
  ];
  await client.request(resourcePath(CORE_KINDS.nodes, undefined, node), { method: 'PATCH', query: dryRunQuery(o), body: patch, contentType: 'application/json-patch+json' });
}

export async function deleteVolumeAttachment(client: KubeClient, name: string, pre: Precondition, o: WriteOptions): Promise<void> {
  await client.request(resourcePath(CORE_KINDS.volumeattachments, undefined, name), {
    method: 'DELETE', query: dryRunQuery(o), body: { apiVersion: 'v1', kind: 'DeleteOptions', preconditions: { uid: pre.uid, resourceVersion: pre.resourceVersion } },
  });
}

export async function forceDeletePod(client: KubeClient, namespace: string, name: string, pre: Precondition, o: WriteOptions): Promise<void> {
  await client.request(resourcePath(CORE_KINDS.pods, namespace, name), {
    method: 'DELETE', query: dryRunQuery(o), body: { apiVersion: 'v1', kind: 'DeleteOptions', gracePeriodSeconds: 0, preconditions: { uid: pre.uid, resourceVersion: pre.resourceVersion } },
  });
}

/** A Normal Event on the object touched: what was done, why, for which finding, and who confirmed the node was off. */
export async function recordEvent(client: KubeClient, action: Action, uid: string, confirmedBy: string, o: WriteOptions): Promise<void> {
  const now = new Date().toISOString();
  const namespace = action.target.namespace ?? 'default';
  const apiVersion = kindByKey(action.target.kind)?.apiVersion ?? 'v1';
  await client.request(resourcePath(CORE_KINDS.events, namespace), {
    method: 'POST',
    query: dryRunQuery(o),
    body: {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { generateName: `${action.target.name}.volume-doctor.`, namespace },
      involvedObject: { apiVersion, kind: action.target.kind, name: action.target.name, namespace: action.target.namespace, uid },
      reason: EVENT_REASON,
      message: `volume-doctor ${action.type}: ${action.reason}. Finding: ${action.finding}. ${confirmedBy}`,
      type: 'Normal',
      source: { component: 'volume-doctor' },
      reportingComponent: 'volume-doctor',
      reportingInstance: hostname(),
      firstTimestamp: now,
      lastTimestamp: now,
      count: 1,
    },
  });
}
