// Where fix's writes go: each to the object's path as kube-apiserver serves it, with the Event about it in the
// object's namespace (default for cluster-scoped ones) naming the object's apiVersion.
import { describe, expect, it } from 'vitest';
import type { KubeClient } from '../../src/cluster/kube-client.js';
import { Graph } from '../../src/graph.js';
import { deleteVolumeAttachment, forceDeletePod, patchOutOfServiceTaint, recordEvent } from '../../src/remedy/writes.js';
import type { Action } from '../../src/remedy/types.js';
import { node, NOW, snapshotOf } from '../fixtures/builders.js';

interface Sent { path: string; method?: string; query?: unknown; body?: any }

function recorder(): { client: KubeClient; sent: Sent[] } {
  const sent: Sent[] = [];
  const client = { request: async (path: string, o: Omit<Sent, 'path'> = {}) => { sent.push({ path, method: o.method, query: o.query, body: o.body }); return {}; } };
  return { client: client as unknown as KubeClient, sent };
}

const pre = { uid: 'u-1', resourceVersion: '7' };
const action = (target: Action['target']): Action => ({
  type: 'force-delete-pod', target, finding: 'f/1', reason: 'because', guards: [], command: '', status: 'planned',
});

describe('fix writes', () => {
  it('go to the object\'s own path, dry-run when asked', async () => {
    const { client, sent } = recorder();
    await patchOutOfServiceTaint(client, 'worker-3', true, new Graph(snapshotOf([node('worker-3')], NOW)), pre, { serverDryRun: true });
    await deleteVolumeAttachment(client, 'csi-abc', pre, { serverDryRun: false });
    await forceDeletePod(client, 'shop', 'web-0', pre, { serverDryRun: false });
    expect(sent.map((s) => [s.method, s.path, s.query])).toEqual([
      ['PATCH', '/api/v1/nodes/worker-3', { dryRun: 'All' }],
      ['DELETE', '/apis/storage.k8s.io/v1/volumeattachments/csi-abc', undefined],
      ['DELETE', '/api/v1/namespaces/shop/pods/web-0', undefined],
    ]);
  });

  it('are each recorded by an Event in the object\'s namespace that names its apiVersion', async () => {
    const { client, sent } = recorder();
    await recordEvent(client, action({ kind: 'Pod', namespace: 'shop', name: 'web-0' }), 'u-1', '', { serverDryRun: false });
    await recordEvent(client, action({ kind: 'VolumeAttachment', name: 'csi-abc' }), 'u-2', '', { serverDryRun: false });
    await recordEvent(client, action({ kind: 'Node', name: 'worker-3' }), 'u-3', '', { serverDryRun: false });
    expect(sent.map((s) => [s.method, s.path, s.body.involvedObject])).toEqual([
      ['POST', '/api/v1/namespaces/shop/events', { apiVersion: 'v1', kind: 'Pod', name: 'web-0', namespace: 'shop', uid: 'u-1' }],
      ['POST', '/api/v1/namespaces/default/events', { apiVersion: 'storage.k8s.io/v1', kind: 'VolumeAttachment', name: 'csi-abc', namespace: undefined, uid: 'u-2' }],
      ['POST', '/api/v1/namespaces/default/events', { apiVersion: 'v1', kind: 'Node', name: 'worker-3', namespace: undefined, uid: 'u-3' }],
    ]);
  });
});
