// Asking kubelets through the node proxy, against a fake API server: for the faults a real one will not produce on
// demand (a kubelet that never answers, a log query that is off). The real node proxy is exercised end to end.
import { afterEach, describe, expect, it } from 'vitest';
import { KubeClient } from '../../src/cluster/kube-client.js';
import { readCluster } from '../../src/cluster/live-reader.js';
import { readKubeletViews } from '../../src/cluster/kubelet-reader.js';
import { startMisbehavingServer, status, MisbehavingServer, Override } from '../support/misbehaving-server.js';
import { ago, lease, node, NOW, pod } from '../fixtures/builders.js';

let server: MisbehavingServer | undefined;
afterEach(async () => { await server?.close(); server = undefined; });

const objects = () => ({
  '/api/v1/nodes': [node('worker-1'), node('worker-3', { ready: 'Unknown', since: ago('25m') })],
  '/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases': [lease('worker-3', ago('25m'))],
  '/api/v1/pods': [pod('shop', 'web-0', { node: 'worker-1', uid: 'uid-web-0' })],
});

async function client(override: Override) {
  server = await startMisbehavingServer(objects(), override);
  return KubeClient.load({ kubeconfig: server.kubeconfig, requestTimeoutMs: 30_000 });
}

/** A generic ephemeral volume: its claim is made by the ephemeral volume controller as <pod>-<volume>. */
function withEphemeralVolume(p: ReturnType<typeof pod>, volume: string): ReturnType<typeof pod> {
  p.spec.volumes.push({ name: volume, ephemeral: { volumeClaimTemplate: { spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } } } });
  return p;
}

const kubeletPods = {
  kind: 'PodList', apiVersion: 'v1', metadata: {},
  items: [
    pod('shop', 'web-0', { node: 'worker-1', uid: 'uid-web-0', nfs: { volume: 'shared', server: '10.0.0.5', path: '/exports/a' } }),
    pod('media', 'uploader-0', { node: 'worker-1', uid: 'uid-gone', nfs: { volume: 'shared', server: '10.0.0.5', path: '/exports/a' } }),
    { ...pod('kube-system', 'etcd-worker-1', { node: 'worker-1', uid: 'static-hash', nfs: { volume: 'x', server: 's', path: '/p' } }), metadata: { name: 'etcd-worker-1', namespace: 'kube-system', uid: 'static-hash', annotations: { 'kubernetes.io/config.source': 'file' } } },
    pod('shop', 'no-volumes', { node: 'worker-1', uid: 'uid-plain' }),
    { kind: 'Pod', metadata: { namespace: 'shop' } },
    withEphemeralVolume(pod('shop', 'lookup-fails', { node: 'worker-1', uid: 'uid-unknown', claims: ['data'] }), 'scratch'),
  ],
};

describe('kubelet reader', () => {
  it('a kubelet that never answers is silent after 3 seconds, whatever --request-timeout says', async () => {
    const c = await client((req) => (req.path.endsWith('/proxy/healthz') ? { hang: true } : undefined));
    const started = Date.now();
    const s = await readCluster(c, { now: NOW });
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(s.kubelets).toEqual([expect.objectContaining({ node: 'worker-3', reach: 'silent' })]);
    expect(s.kubelets![0].reachDetail).toContain('within 3s');
    // Only the not-Ready node is probed.
    expect(server!.requests.filter((r) => r.path.includes('/proxy/')).map((r) => r.path)).toEqual(['/api/v1/nodes/worker-3/proxy/healthz']);
  });

  it('without nodes/proxy permission, says what it could not check and goes on', async () => {
    const c = await client((req) => (req.path.includes('/proxy/')
      ? status(403, 'Forbidden', 'nodes "worker-3" is forbidden: User "alice" cannot get resource "nodes/proxy" in API group "" at the cluster scope')
      : undefined));
    const s = await readCluster(c, { now: NOW });
    expect(s.kubelets?.[0].reach).toBe('unknown');
    expect(s.incomplete).toEqual([]);
    expect(s.notChecked).toEqual([expect.stringContaining('no permission to get nodes/proxy')]);
  });

  it('reads the pods a kubelet runs and proves which the API no longer has, by a 404 for each', async () => {
    const c = await client((req) => {
      if (req.path === '/api/v1/namespaces/shop/pods/lookup-fails') return status(500, 'InternalError', 'etcd timed out');
      if (req.path === '/api/v1/nodes/worker-1/proxy/healthz') return { body: 'ok', headers: { 'Content-Type': 'text/plain' } };
      if (req.path === '/api/v1/nodes/worker-1/proxy/pods') return { body: kubeletPods };
      if (req.path === '/api/v1/nodes/worker-1/proxy/metrics') return { headers: { 'Content-Type': 'text/plain' }, body: 'kubelet_orphan_pod_cleaned_volumes_errors 1\n' };
      if (req.path === '/api/v1/nodes/worker-1/proxy/logs/') return { headers: { 'Content-Type': 'text/html' }, body: '<pre>\n<a href="apt/">apt/</a>\n</pre>\n' };
      return undefined;
    });
    const s = await readCluster(c, { now: NOW, askKubelets: false });
    await readKubeletViews(c, s, ['worker-1']);
    const k = s.kubelets!.find((x) => x.node === 'worker-1')!;
    expect(k.reach).toBe('answered');
    expect(k.pods).toEqual([
      { namespace: 'shop', name: 'web-0', uid: 'uid-web-0', volumes: ['nfs 10.0.0.5:/exports/a'], claims: [], api: 'present' },
      { namespace: 'media', name: 'uploader-0', uid: 'uid-gone', volumes: ['nfs 10.0.0.5:/exports/a'], claims: [], api: 'gone', apiDetail: 'the API server has no pod media/uploader-0 (404)' },
      expect.objectContaining({ name: 'lookup-fails' }),
    ]);
    expect(k.pods?.[2]).toMatchObject({ name: 'lookup-fails', api: 'unknown', claims: ['data', 'lookup-fails-scratch'] });
    expect(s.notChecked).toEqual([
      '1 of the pods the kubelet on worker-1 lists could not be read (no name, namespace or uid)',
      expect.stringMatching(/^whether the API still has shop\/lookup-fails, which the kubelet on worker-1 runs: could not look pod shop\/lookup-fails up: .*etcd timed out/),
    ]);
    expect(k.metrics?.orphanCleanupErrors).toBe(1);
    expect(k.logLines).toBeUndefined();
    expect(k.notes).toEqual([expect.stringContaining('log query is not enabled')]);
    // The pod present in what was read is not looked up again.
    expect(server!.requests.some((r) => r.path === '/api/v1/namespaces/shop/pods/web-0')).toBe(false);
  });
});
