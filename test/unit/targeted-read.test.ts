// Targeted reads against the stories of the example cluster: the same findings as a whole-cluster read filtered
// to the target, with a request count that does not grow with the cluster. The stub serves the objects with
// kube-apiserver's field selectors (spec.nodeName, involvedObject.*, type, reason) so targeted LISTs see only what
// the real server would send.
import { afterEach, describe, expect, it } from 'vitest';
import { readCluster, Target } from '../../src/cluster/live-reader.js';
import { diagnoseSnapshot } from '../../src/engine.js';
import type { ObjectRef, Snapshot } from '../../src/model/snapshot.js';
import type { MisbehavingServer } from '../support/misbehaving-server.js';
import { clientOf as client, serveObjects, targetsOf } from '../support/field-selecting-server.js';
import { boundVolume, csiDriver, csiNode, eventAbout, lease, node, NOW, pod, podEvent, pvc, Raw, vaName, volumeAttachment } from '../fixtures/builders.js';
import { exampleCluster } from '../fixtures/stories.js';
import before from '../fixtures/targeted-findings-before.json' with { type: 'json' };

let server: MisbehavingServer | undefined;
afterEach(async () => { await server?.close(); server = undefined; });

/** Serves `objects` with field selectors honoured, and Longhorn's group when it holds Longhorn objects. */
async function serve(objects: Raw[]): Promise<MisbehavingServer> {
  server = await serveObjects(objects);
  return server;
}

const KINDS: Record<Target['resource'], string> = {
  pods: 'Pod', persistentvolumeclaims: 'PersistentVolumeClaim', persistentvolumes: 'PersistentVolume', nodes: 'Node', volumeattachments: 'VolumeAttachment',
};
const refOf = (t: Target): ObjectRef => ({ kind: KINDS[t.resource], name: t.name, namespace: t.namespace });
const findingsOf = (snapshot: Parameters<typeof diagnoseSnapshot>[0], target?: ObjectRef) => diagnoseSnapshot(snapshot, target).findings.map((f) => ({ id: f.id, severity: f.severity, summary: f.summary, evidence: f.evidence, remedies: f.remedies }));

/**
 * Targets whose targeted findings already differed from the whole read's before targeted reads stopped listing
 * every attachment (a node's or a volume's targeted read sees less around it; the Pending claim's story reads only
 * its namespace): their findings, as that reader produced them, are in targeted-findings-before.json.
 */
const RECORDED = before as Record<string, unknown>;

describe('a targeted read finds what a whole-cluster read finds about the target', () => {
  it('for every pod, claim, volume, node and attachment of the stories (or what the previous reader found)', async () => {
    const objects = exampleCluster();
    const s = await serve(objects);
    // The kubelets are not what this compares: the stub has none.
    const whole = await readCluster(await client(s), { now: NOW, askKubelets: false });
    expect(whole.incomplete).toEqual([]);
    const targets = targetsOf(objects);
    expect(targets.length).toBeGreaterThan(40);
    const differing: string[] = [];
    let withFindings = 0;
    for (const target of targets) {
      const targeted = await readCluster(await client(s), { now: NOW, target, askKubelets: false });
      const key = `${target.resource}/${target.name}`;
      const expected = key in RECORDED ? RECORDED[key] as ReturnType<typeof findingsOf> : findingsOf(whole, refOf(target));
      if (expected.length) withFindings++;
      try {
        expect(targeted.incomplete).toEqual([]);
        expect(findingsOf(targeted, refOf(target))).toEqual(expected);
      } catch (err) {
        differing.push(`${key}: ${(err as Error).message.slice(0, 2000)}`);
      }
    }
    expect(differing).toEqual([]);
    expect(Object.keys(RECORDED).every((k) => targets.some((t) => `${t.resource}/${t.name}` === k))).toBe(true);
    expect(withFindings).toBeGreaterThan(10);
  }, 120_000);
});

/** `n` Ready nodes, each with `perNode` running pods on their own attached CSI volumes, plus a story pod. */
function cluster(n: number, perNode: number): Raw[] {
  const objects: Raw[] = [csiDriver('csi.example.com')];
  for (let i = 0; i < n; i++) {
    const name = `node-${i}`;
    objects.push(node(name), lease(name, NOW), csiNode(name, ['csi.example.com']));
    for (let j = 0; j < perNode; j++) {
      const id = `${i}-${j}`;
      objects.push(...boundVolume('apps', `data-${id}`, `pv-${id}`, { driver: 'csi.example.com' }));
      objects.push(volumeAttachment({ pv: `pv-${id}`, node: name, attached: true, driver: 'csi.example.com' }));
      objects.push(pod('apps', `app-${id}`, { node: name, claims: [`data-${id}`], state: 'Running' }));
    }
  }
  return objects;
}

describe('a targeted pod read costs the same at any cluster size', () => {
  const requestsFor = async (objects: Raw[], target: Target) => {
    const s = await serve(objects);
    const c = await client(s);
    const snapshot = await readCluster(c, { now: NOW, target });
    await s.close();
    server = undefined;
    return { requests: c.requests, snapshot };
  };

  it('a running pod on its attached volume: at most 10 requests, no LIST of attachments, at 3 and at 60 nodes', async () => {
    const target: Target = { resource: 'pods', name: 'app-1-0', namespace: 'apps' };
    const small = await requestsFor(cluster(3, 2), target);
    const large = await requestsFor(cluster(60, 10), target);
    expect(large.requests.length).toBe(small.requests.length);
    expect(large.requests.length).toBeLessThanOrEqual(10);
    expect(large.requests.filter((r) => r.startsWith('GET /apis/storage.k8s.io/v1/volumeattachments?'))).toEqual([]);
    expect(large.requests).toContain(`GET /apis/storage.k8s.io/v1/volumeattachments/${vaName('pv-1-0', 'csi.example.com', 'node-1')}`);
    // No Longhorn volume in view: no discovery request for its group.
    expect(large.requests.some((r) => r.includes('longhorn'))).toBe(false);
    expect(large.snapshot.volumeAttachments.map((v) => v.persistentVolumeName)).toEqual(['pv-1-0']);
    expect(large.snapshot.incomplete).toEqual([]);
  }, 60_000);

  it('a pod waiting for a volume attached elsewhere: every attachment is listed, so the holder is found', async () => {
    const objects = cluster(4, 1);
    objects.push(pod('apps', 'moved', { node: 'node-2', claims: ['data-0-0'], state: 'ContainerCreating' }));
    const { requests, snapshot } = await requestsFor(objects, { resource: 'pods', name: 'moved', namespace: 'apps' });
    expect(requests).toContain('GET /apis/storage.k8s.io/v1/volumeattachments?limit=5000');
    expect(snapshot.volumeAttachments.filter((v) => v.persistentVolumeName === 'pv-0-0').map((v) => v.nodeName)).toEqual(['node-0']);
    expect(snapshot.nodes.map((n) => n.name).sort()).toEqual(['node-0', 'node-2']);
  }, 60_000);

  it('a pod waiting for its volume lists every attachment in pages of 5,000: one request more per 5,000 attachments', async () => {
    const withAttachments = (elsewhere: number) => {
      const objects = cluster(4, 1);
      objects.push(pod('apps', 'moved', { node: 'node-2', claims: ['data-0-0'], state: 'ContainerCreating' }));
      // Other volumes' attachments on nodes outside the story: listed, then dropped with their nodes unread.
      for (let i = 0; i < elsewhere; i++) objects.push(volumeAttachment({ pv: `pv-far-${i}`, node: `node-far-${i % 50}`, driver: 'csi.example.com' }));
      return objects;
    };
    const isList = (r: string) => r.startsWith('GET /apis/storage.k8s.io/v1/volumeattachments?');
    const runs = [];
    // 4, 5,000, 5,001 and 10,004 attachments in all.
    for (const elsewhere of [0, 4996, 4997, 10_000]) runs.push(await requestsFor(withAttachments(elsewhere), { resource: 'pods', name: 'moved', namespace: 'apps' }));
    expect(runs.map((r) => r.requests.filter(isList).length)).toEqual([1, 1, 2, 3]);
    expect(runs[3].requests.filter(isList)).toEqual([
      'GET /apis/storage.k8s.io/v1/volumeattachments?limit=5000',
      'GET /apis/storage.k8s.io/v1/volumeattachments?limit=5000&continue=5000',
      'GET /apis/storage.k8s.io/v1/volumeattachments?limit=5000&continue=10000',
    ]);
    const attachments = (s: Snapshot) => s.volumeAttachments.map((v) => `${v.name} ${v.persistentVolumeName} ${v.nodeName}`).sort();
    for (const run of runs) {
      expect(run.requests.filter((r) => !isList(r)).sort()).toEqual(runs[0].requests.filter((r) => !isList(r)).sort());
      expect(attachments(run.snapshot)).toEqual(attachments(runs[0].snapshot));
      expect(run.snapshot.incomplete).toEqual([]);
    }
    expect(runs[3].snapshot.volumeAttachments.filter((v) => v.persistentVolumeName === 'pv-0-0').map((v) => v.nodeName)).toEqual(['node-0']);
  }, 60_000);

  it('a claim that is gone is asked for once and its leftover events are not listed: no check reads them, the findings are the whole read\'s', async () => {
    const objects = cluster(2, 1);
    const orphan = pod('apps', 'orphan', { claims: ['gone'], state: 'Unscheduled' });
    const gone = pvc('apps', 'gone', 'pv-gone');
    objects.push(
      orphan, podEvent(orphan, { reason: 'FailedScheduling', message: '0/2 nodes are available: persistentvolumeclaim "gone" not found. preemption: 0/2 nodes are available: 2 Preemption is not helpful for scheduling.', component: 'default-scheduler' }),
      eventAbout(gone, { reason: 'ProvisioningFailed', message: 'failed to provision volume: quota exceeded', component: 'persistentvolume-controller' }),
    );
    const s = await serve(objects);
    const whole = await readCluster(await client(s), { now: NOW, askKubelets: false });
    expect(whole.events.map((e) => `${e.involvedObject.kind}/${e.involvedObject.name} ${e.reason}`).sort()).toEqual(['PersistentVolumeClaim/gone ProvisioningFailed', 'Pod/orphan FailedScheduling']);
    const c = await client(s);
    const target: Target = { resource: 'pods', name: 'orphan', namespace: 'apps' };
    const targeted = await readCluster(c, { now: NOW, target, askKubelets: false });
    expect(c.requests.filter((r) => r.includes('/persistentvolumeclaims/gone'))).toEqual(['GET /api/v1/namespaces/apps/persistentvolumeclaims/gone']);
    expect(c.requests.filter((r) => r.includes('involvedObject.kind%3DPersistentVolumeClaim'))).toEqual([]);
    expect(findingsOf(targeted, refOf(target))).toEqual(findingsOf(whole, refOf(target)));
    expect(findingsOf(targeted, refOf(target)).length).toBeGreaterThan(0);
  }, 60_000);

  it('an attachment named otherwise (404 for the derived name) is not taken as absent: every attachment is listed', async () => {
    const objects = cluster(3, 1);
    const va = objects.find((o) => o.kind === 'VolumeAttachment' && o.spec.source.persistentVolumeName === 'pv-1-0');
    va.metadata.name = 'attachment-by-another-attacher';
    const { requests, snapshot } = await requestsFor(objects, { resource: 'pods', name: 'app-1-0', namespace: 'apps' });
    expect(requests).toContain('GET /apis/storage.k8s.io/v1/volumeattachments?limit=5000');
    expect(snapshot.volumeAttachments.map((v) => v.name)).toEqual(['attachment-by-another-attacher']);
    expect(snapshot.incomplete).toEqual([]);
  }, 60_000);
});
