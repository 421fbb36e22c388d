// Asking kubelets through the node proxy, against a fake API server: for the faults a real one will not produce on
// demand (a kubelet that never answers, a log query that is off). The real node proxy is exercised end to end.
import { afterEach, describe, expect, it } from 'vitest';
import { KubeClient } from '../../src/cluster/kube-client.js';
import { readCluster } from '../../src/cluster/live-reader.js';
import { MAX_KUBELETS_ASKED, readKubeletViews, VOLUME_CLEANUP_LOG_PATTERN } from '../../src/cluster/kubelet-reader.js';
import { startMisbehavingServer, status, MisbehavingServer, Override, Reply } from '../support/misbehaving-server.js';
import { serveObjects, clientOf } from '../support/field-selecting-server.js';
import { ago, boundVolume, lease, node, NOW, pod, volumeAttachment, Raw } from '../fixtures/builders.js';

let server: MisbehavingServer | undefined;
afterEach(async () => { await server?.close(); server = undefined; });

const objects = () => ({
  '/api/v1/nodes': [node('worker-1'), node('worker-3', { ready: 'Unknown', since: ago('25m') })],
  '/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases': [lease('worker-3', ago('25m'))],
  '/api/v1/pods': [pod('shop', 'web-0', { node: 'worker-1', uid: 'uid-web-0' })],
});

async function client(override: Override, served: Record<string, unknown[]> = objects()) {
  server = await startMisbehavingServer(served, override);
  return KubeClient.load({ kubeconfig: server.kubeconfig, requestTimeoutMs: 30_000 });
}

const refused = (node: string): Reply => status(503, 'ServiceUnavailable', `error trying to reach service: dial tcp 10.0.0.9:10250: connect: connection refused (${node})`);
const ok: Reply = { body: 'ok', headers: { 'Content-Type': 'text/plain' } };
/** The node a node-proxy request is for. */
const proxied = (path: string) => /^\/api\/v1\/nodes\/([^/]+)\/proxy\//.exec(path)?.[1];
/** a-00, a-01, ...: sorted by name before worker-3. */
const names = (count: number) => Array.from({ length: count }, (_, i) => `a-${String(i).padStart(2, '0')}`);
const notReady = (name: string) => node(name, { ready: 'Unknown', since: ago('25m') });

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

describe('what the kubelet reader says it did not check', () => {
  it('names only the NotReady nodes still unasked at the end of the run, not those the findings had asked later', async () => {
    const nodes = names(MAX_KUBELETS_ASKED + 2);
    const c = await client((req) => (proxied(req.path) ? refused(proxied(req.path)!) : undefined), { '/api/v1/nodes': nodes.map(notReady) });
    const s = await readCluster(c, { now: NOW });
    expect(s.notChecked).toEqual([expect.stringContaining('NotReady a-32, a-33: not asked whether those machines run')]);
    // The findings point at a-33: its kubelet is asked after all, and the note no longer names it.
    await readKubeletViews(c, s, ['a-33']);
    expect(s.kubelets?.find((k) => k.node === 'a-33')?.reach).toBe('silent');
    expect(s.notChecked).toEqual(['the kubelet of NotReady a-32: not asked whether that machine runs (volume-doctor asks at most 32 kubelets per run); name a node to ask its kubelet (diagnose node/NAME)']);
    await readKubeletViews(c, s, ['a-32']);
    expect(s.notChecked).toBeUndefined();
  });

  it('names the nodes findings point at whose kubelets were not read for the cap, and how to ask one', async () => {
    const nodes = names(MAX_KUBELETS_ASKED + 2);
    const c = await client((req) => (proxied(req.path) ? refused(proxied(req.path)!) : undefined), { '/api/v1/nodes': nodes.map((n) => node(n)) });
    const s = await readCluster(c, { now: NOW });
    await readKubeletViews(c, s, [...nodes].reverse());
    // The first 32 in the order given were asked; a-01 and a-00 were not, and say so.
    expect(server!.requests.filter((r) => proxied(r.path)).length).toBe(MAX_KUBELETS_ASKED);
    expect(s.notChecked).toEqual(['the kubelets of a-01, a-00, which findings point at: their pods, metrics and log were not read (volume-doctor reads at most 32 kubelets per run); name a node to ask its kubelet (diagnose node/NAME)']);
  });

  it('says which part of an answering kubelet\'s view could not be read, but not that its log query is off', async () => {
    const c = await client((req) => {
      if (req.path === '/api/v1/nodes/worker-1/proxy/healthz') return ok;
      if (req.path === '/api/v1/nodes/worker-1/proxy/pods') return status(500, 'InternalError', 'the kubelet could not list its pods');
      if (req.path === '/api/v1/nodes/worker-1/proxy/metrics') return { body: '<html>gateway', status: 502, headers: { 'Content-Type': 'text/html' } };
      if (req.path === '/api/v1/nodes/worker-1/proxy/logs/') return { headers: { 'Content-Type': 'text/html' }, body: '<pre>\n<a href="apt/">apt/</a>\n</pre>\n' };
      if (req.path === '/api/v1/nodes/worker-3/proxy/healthz') return ok;
      if (req.path === '/api/v1/nodes/worker-3/proxy/pods') return { body: { kind: 'PodList', apiVersion: 'v1', metadata: {}, items: [] } };
      if (req.path === '/api/v1/nodes/worker-3/proxy/metrics') return { headers: { 'Content-Type': 'text/plain' }, body: 'kubelet_orphan_pod_cleaned_volumes_errors 0\n' };
      if (req.path === '/api/v1/nodes/worker-3/proxy/logs/') return status(403, 'Forbidden', 'nodes "worker-3" is forbidden: User "alice" cannot get resource "nodes/log"');
      return undefined;
    });
    const s = await readCluster(c, { now: NOW, askKubelets: false });
    await readKubeletViews(c, s, ['worker-1', 'worker-3']);
    expect(s.notChecked).toEqual([
      'the kubelet on worker-1: its /pods answered 500 (the kubelet could not list its pods): pods it may still run were not compared with the API',
      'the kubelet on worker-1: its /metrics answered 502 (<html>gateway): its counts of volumes it failed to clean up, of mounted volumes and of failed volume operations were not read',
      'the kubelet on worker-3: its log query answered 403 (nodes "worker-3" is forbidden: User "alice" cannot get resource "nodes/log"): its own log lines about volumes it failed to unmount were not read',
    ]);
    // Each is also kept with its kubelet, for the finding about its node.
    expect(s.kubelets!.find((k) => k.node === 'worker-1')!.notes).toEqual([
      'its /pods answered 500 (the kubelet could not list its pods)',
      'its /metrics answered 502 (<html>gateway)',
      expect.stringContaining('log query is not enabled'),
    ]);
  });

  it('asks for the kubelet\'s volume cleanup lines as a real kubelet writes them at default verbosity', async () => {
    const lines = [
      'E1126 07:01:02.123456    1234 nestedpendingoperations.go:348] Operation for "{volumeName:kubernetes.io/nfs/uid-gone-shared podName:uid-gone nodeName:}" failed. No retries permitted until 2026-11-26 07:03:04 (durationBeforeRetry 2m2s). Error: UnmountVolume.TearDown failed for volume "shared" (UniqueName: "kubernetes.io/nfs/uid-gone-shared") pod "uid-gone" (UID: "uid-gone") : unmount failed: exit status 16',
      'E1126 07:01:03.000000    1234 kubelet_volumes.go:127] "Pod found, but error occurred during checking mounted volumes from disk" err="open /var/lib/kubelet/pods/uid-gone/volumes: permission denied" podUID="uid-gone"',
      'E1126 07:01:04.000000    1234 kubelet_volumes.go:263] "There were many similar errors. Turn up verbosity to see them." err="orphaned pod \\"uid-gone\\" found, but failed to rmdir() volume at path /var/lib/kubelet/pods/uid-gone/volumes/kubernetes.io~nfs/shared: device or resource busy" numErrs=1',
      'I1126 07:01:05.000000    1234 reconciler_common.go:159] "operationExecutor.UnmountVolume started for volume" volumeName="shared"',
    ];
    const c = await client((req) => {
      if (req.path === '/api/v1/nodes/worker-1/proxy/healthz') return ok;
      if (req.path === '/api/v1/nodes/worker-1/proxy/pods') return { body: { kind: 'PodList', apiVersion: 'v1', metadata: {}, items: [] } };
      if (req.path === '/api/v1/nodes/worker-1/proxy/metrics') return { headers: { 'Content-Type': 'text/plain' }, body: '' };
      if (req.path === '/api/v1/nodes/worker-1/proxy/logs/') return { headers: { 'Content-Type': 'text/plain' }, body: `${lines.join('\n')}\n` };
      return undefined;
    });
    const s = await readCluster(c, { now: NOW, askKubelets: false });
    await readKubeletViews(c, s, ['worker-1']);
    const asked = server!.requests.find((r) => r.path === '/api/v1/nodes/worker-1/proxy/logs/')!;
    expect(asked.query.get('pattern')).toBe('[Oo]rphaned pod .*found, but|UnmountVolume\\.TearDown failed|error occurred during checking mounted volumes');
    expect(asked.query.get('pattern')).toBe(VOLUME_CLEANUP_LOG_PATTERN);
    expect(s.kubelets![0].logLines).toEqual(lines.slice(0, 3));
    expect(s.notChecked).toBeUndefined();
  });
});

describe('a targeted read (fix reads an action\'s target again just before writing)', () => {
  it('asks the kubelet of the target\'s node first, however many NotReady nodes sort before it', async () => {
    const others = names(MAX_KUBELETS_ASKED + 1);
    const [pvObj, pvcObj] = boundVolume('shop', 'shared', 'pv-shared', { accessModes: ['ReadWriteMany'] });
    const objects: Raw[] = [pvObj, pvcObj];
    for (const n of [...others, 'worker-3']) objects.push(notReady(n), lease(n, ago('25m')), volumeAttachment({ pv: 'pv-shared', node: n }));
    server = await serveObjects(objects, (req) => (proxied(req.path) ? refused(proxied(req.path)!) : undefined));
    const c = await clientOf(server);
    const va = objects.find((o) => o.kind === 'VolumeAttachment' && o.spec.nodeName === 'worker-3');
    const s = await readCluster(c, { now: NOW, target: { resource: 'volumeattachments', name: va.metadata.name } });
    expect(s.nodes.filter((n) => n.ready !== 'True')).toHaveLength(MAX_KUBELETS_ASKED + 2);
    expect(server.requests.some((r) => r.path === '/api/v1/nodes/worker-3/proxy/healthz')).toBe(true);
    expect(s.kubelets?.find((k) => k.node === 'worker-3')?.reach).toBe('silent');
    expect(s.notChecked).toEqual([expect.stringContaining('NotReady a-31, a-32: not asked')]);
  });
});
