// The live reader against a fake API server: what it drops or cannot read is reported, never taken as absent.
import { afterEach, describe, expect, it } from 'vitest';
import { KubeClient } from '../../src/cluster/kube-client.js';
import { readCluster } from '../../src/cluster/live-reader.js';
import { ClusterError, NotFoundError } from '../../src/errors.js';
import { startMisbehavingServer, status, MisbehavingServer, Override } from '../support/misbehaving-server.js';
import { boundVolume, node, NOW, pod, volumeAttachment, Raw } from '../fixtures/builders.js';

let server: MisbehavingServer | undefined;
afterEach(async () => { await server?.close(); server = undefined; });

async function read(objects: Record<string, Raw[]>, override?: Override, target?: Parameters<typeof readCluster>[1]['target']) {
  server = await startMisbehavingServer(objects, override);
  const client = await KubeClient.load({ kubeconfig: server.kubeconfig, requestTimeoutMs: 5000 });
  return readCluster(client, { now: NOW, target });
}

const nameless = (o: Raw) => {
  delete o.metadata.name;
  return o;
};

describe('live reader: malformed objects', () => {
  it('counts dropped objects per resource with the first reason', async () => {
    const s = await read({ '/api/v1/nodes': [node('worker-1'), nameless(node('a')), nameless(node('b'))] });
    expect(s.nodes.map((n) => n.name)).toEqual(['worker-1']);
    expect(s.incomplete).toEqual([{ resource: 'nodes', reason: '2 nodes dropped: metadata.name missing' }]);
  });

  it('a null item is dropped and reported, not a crash', async () => {
    const s = await read({ '/api/v1/namespaces/shop/pods': [null, pod('shop', 'web-0')] });
    expect(s.pods.map((p) => p.name)).toEqual(['web-0']);
    expect(s.incomplete).toEqual([{ resource: 'pods', reason: '1 pod dropped: a Pod that is not an object' }]);
  });

  it('a VolumeAttachment without spec.nodeName is dropped and reported', async () => {
    const va = volumeAttachment({ pv: 'pv-a', node: 'worker-2' });
    delete va.spec.nodeName;
    const s = await read({ '/apis/storage.k8s.io/v1/volumeattachments': [va] });
    expect(s.volumeAttachments).toEqual([]);
    expect(s.incomplete).toEqual([{ resource: 'volumeattachments', reason: '1 volumeattachment dropped: spec.nodeName missing' }]);
  });

  it('adds dropped objects to a resource already incomplete', async () => {
    const s = await read({ '/api/v1/nodes': [nameless(node('a'))] }, (req) => (req.query.get('continue') === 'next' ? status(500, 'InternalError', 'boom') : req.path === '/api/v1/nodes'
      ? { body: { kind: 'NodeList', apiVersion: 'v1', metadata: { continue: 'next' }, items: [nameless(node('a'))] } } : undefined));
    expect(s.incomplete).toEqual([{ resource: 'nodes', reason: '500 InternalError: boom; 1 node dropped: metadata.name missing' }]);
  });

  it('a LIST whose items is not an array makes the resource incomplete, not a crash', async () => {
    const s = await read({}, (req) => (req.path === '/api/v1/nodes' ? { body: { kind: 'NodeList', apiVersion: 'v1', metadata: {}, items: { a: 1 } } } : undefined));
    expect(s.incomplete).toEqual([{ resource: 'nodes', reason: expect.stringMatching(/^unreadable answer: /) }]);
    expect(s.nodes).toEqual([]);
  });
});

describe('live reader: a targeted read', () => {
  it('follows the claims of the pod it fetched', async () => {
    const [pv, pvc] = boundVolume('shop', 'data', 'pv-a');
    const s = await read({
      '/api/v1/namespaces/shop/pods': [pod('shop', 'web-0', { node: 'worker-1', claims: ['data'] }), pod('shop', 'other', { node: 'worker-9' })],
      '/api/v1/namespaces/shop/persistentvolumeclaims': [pvc],
      '/api/v1/persistentvolumes': [pv],
      '/api/v1/nodes': [node('worker-1')],
    }, undefined, { resource: 'pods', name: 'web-0', namespace: 'shop' });
    expect(s.pvcs.map((c) => c.name)).toEqual(['data']);
    expect(s.pvs.map((v) => v.name)).toEqual(['pv-a']);
    expect(s.nodes.map((n) => n.name)).toEqual(['worker-1']);
    expect(s.incomplete).toEqual([]);
  });

  it('a target that does not exist, while the attachment LIST fails, is NotFoundError (no unhandled rejection)', async () => {
    const err = await read({}, (req) => {
      if (req.path === '/apis/storage.k8s.io/v1/volumeattachments') throw new Error('drop');
      return undefined;
    }, { resource: 'pods', name: 'ghost', namespace: 'shop' }).catch((e) => e);
    expect(err).toBeInstanceOf(NotFoundError);
    expect(err.message).toBe('pods "ghost" not found in namespace "shop"');
  });

  it('a forbidden target is a ClusterError, never not found', async () => {
    const err = await read({}, (req) => (req.path === '/api/v1/nodes/worker-2' ? status(403, 'Forbidden', 'no') : undefined), { resource: 'nodes', name: 'worker-2' }).catch((e) => e);
    expect(err).toBeInstanceOf(ClusterError);
    expect(err.message).toBe('cannot read nodes "worker-2": forbidden: no');
  });

  it('the node of an attachment that reads malformed makes nodes incomplete; a 404 proves it gone', async () => {
    const va = volumeAttachment({ pv: 'pv-a', node: 'worker-2' });
    const objects = { '/apis/storage.k8s.io/v1/volumeattachments': [va] };
    const target = { resource: 'volumeattachments' as const, name: va.metadata.name };
    const broken = await read(objects, (req) => (req.path === '/api/v1/nodes/worker-2' ? { body: nameless(node('worker-2')) } : undefined), target);
    expect(broken.incomplete).toEqual([{ resource: 'nodes', reason: '1 node dropped: metadata.name missing' }]);
    await server!.close();
    const gone = await read(objects, undefined, target);
    expect(gone.incomplete).toEqual([]);
    expect(gone.nodes).toEqual([]);
    expect(gone.volumeAttachments.map((v) => v.nodeName)).toEqual(['worker-2']);
  });
});
