// What a targeted read asks the API server and what it builds, for every target of the stories and of a few small
// clusters (a running pod whose attachment is found by its derived name, one named by another attacher, a pod
// waiting with Multi-Attach, Longhorn volumes with their nodes), compared with what the reader did when these were
// recorded. The requests are compared as a set with counts, since those sent side by side arrive in any order; so
// are the snapshot's lists. A change in what a targeted run reads shows here as the targets and the requests it
// changed; when that change is meant, record again: RECORD_TARGETED_READS=1 npx vitest run test/unit/targeted-read-recorded.test.ts
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { readCluster } from '../../src/cluster/live-reader.js';
import type { Snapshot } from '../../src/model/snapshot.js';
import { clientOf, serveObjects, targetsOf } from '../support/field-selecting-server.js';
import { boundVolume, csiDriver, csiNode, DRIVER, lease, node, NOW, pod, podEvent, pv, Raw, volumeAttachment } from '../fixtures/builders.js';
import { exampleCluster, longhornUpgrade } from '../fixtures/stories.js';
import recorded from '../fixtures/targeted-reads-recorded.json' with { type: 'json' };

const RECORDING = new URL('../fixtures/targeted-reads-recorded.json', import.meta.url);

/** Three Ready nodes with running pods on attached volumes, a pod waiting with Multi-Attach, and a driver without attach. */
function smallCluster(): Raw[] {
  const objects: Raw[] = [csiDriver(DRIVER), csiDriver('nfs.csi.example.com', false)];
  for (const name of ['node-a', 'node-b', 'node-c']) objects.push(node(name), lease(name, NOW), csiNode(name, [DRIVER, 'nfs.csi.example.com']));
  objects.push(
    ...boundVolume('apps', 'data-0', 'pv-0'), volumeAttachment({ pv: 'pv-0', node: 'node-a' }),
    pod('apps', 'app-0', { node: 'node-a', claims: ['data-0'] }),
    ...boundVolume('apps', 'data-1', 'pv-1'), volumeAttachment({ pv: 'pv-1', node: 'node-b' }),
    pod('apps', 'app-1', { node: 'node-b', claims: ['data-1'] }),
    ...boundVolume('apps', 'shared', 'pv-nfs', { driver: 'nfs.csi.example.com' }),
    pod('apps', 'reader-0', { node: 'node-a', claims: ['shared'] }),
    pod('apps', 'reader-1', { node: 'node-c', claims: ['shared'] }),
  );
  const moved = pod('apps', 'app-0-moved', { node: 'node-c', claims: ['data-0'], state: 'ContainerCreating' });
  objects.push(moved, podEvent(moved, { reason: 'FailedAttachVolume', message: 'Multi-Attach error for volume "pv-0" Volume is already exclusively attached to one node and can\'t be attached to another' }));
  return objects;
}

/** A running pod whose attachment another attacher named: the derived name is a 404. */
function otherwiseNamed(): Raw[] {
  const objects: Raw[] = [csiDriver(DRIVER), node('node-a'), lease('node-a', NOW), csiNode('node-a'), ...boundVolume('apps', 'data', 'pv-x')];
  const va = volumeAttachment({ pv: 'pv-x', node: 'node-a' });
  va.metadata.name = 'attachment-by-another-attacher';
  return [...objects, va, pod('apps', 'app', { node: 'node-a', claims: ['data'] })];
}

/**
 * What is gone or was never there: a claim a pod names that does not exist (a 404, asked for once), a
 * Released volume whose claim was deleted, a volume of a driver without a CSIDriver object, a pod on a node that
 * does not exist.
 */
function missingPieces(): Raw[] {
  return [
    csiDriver(DRIVER), node('node-a'), lease('node-a', NOW), csiNode('node-a'),
    ...boundVolume('apps', 'data', 'pv-gone-driver', { driver: 'gone.csi.example.com' }),
    volumeAttachment({ pv: 'pv-gone-driver', node: 'node-a', driver: 'gone.csi.example.com' }),
    pod('apps', 'lost-claim', { node: 'node-a', claims: ['never-made', 'data'], state: 'ContainerCreating' }),
    pv('pv-released', { claim: { namespace: 'apps', name: 'deleted' }, phase: 'Released', reclaimPolicy: 'Retain' }),
    pod('apps', 'on-a-deleted-node', { node: 'node-gone', claims: ['data'], state: 'ContainerCreating' }),
  ];
}

// Built once, in this order, when the file loads: the builders number uids as they go.
const CLUSTERS: Record<string, Raw[]> = {
  example: exampleCluster(),
  small: smallCluster(),
  otherwiseNamed: otherwiseNamed(),
  longhornWithNodes: longhornUpgrade(false, true),
  missingPieces: missingPieces(),
};

/** What each of the snapshot's lists holds, by name (an event by what it is about and its reason). */
function namesIn(lists: Record<string, unknown>): Record<string, string[]> {
  const nameOf = (x: Raw) => [x.namespace, x.name ?? `${x.involvedObject?.kind}/${x.involvedObject?.name} ${x.reason}`].filter((p) => p !== undefined).join('/');
  return Object.fromEntries(Object.entries(lists).filter(([, v]) => Array.isArray(v)).map(([k, v]) => [k, (v as Raw[]).map(nameOf).sort()]));
}

/**
 * The snapshot, with its lists in one order and without the stub's port: the names in each list (to show what
 * changed) and a digest of all of it (to notice any other change: the whole snapshots would be a megabyte).
 */
function comparable(snapshot: Snapshot): Reading['snapshot'] {
  const s = JSON.parse(JSON.stringify(snapshot));
  s.source.server = '(the stub)';
  const sortLists = (o: Record<string, unknown>) => {
    for (const [k, v] of Object.entries(o)) if (Array.isArray(v)) o[k] = v.map((x) => JSON.stringify(x)).sort().map((x) => JSON.parse(x));
  };
  sortLists(s);
  if (s.longhorn) sortLists(s.longhorn);
  return {
    names: { ...namesIn(s), ...(s.longhorn ? Object.fromEntries(Object.entries(namesIn(s.longhorn)).map(([k, v]) => [`longhorn.${k}`, v])) : {}) },
    digest: createHash('sha256').update(JSON.stringify(s)).digest('hex'),
  };
}

interface Reading { requests: string[]; snapshot: { names: Record<string, string[]>; digest: string } }

async function readEach(objects: Raw[]): Promise<Record<string, Reading>> {
  const server = await serveObjects(objects);
  try {
    const out: Record<string, Reading> = {};
    for (const target of targetsOf(objects)) {
      const client = await clientOf(server);
      const snapshot = await readCluster(client, { now: NOW, target, askKubelets: false });
      out[`${target.resource}/${target.namespace ? `${target.namespace}/` : ''}${target.name}`] = { requests: [...client.requests].sort(), snapshot: comparable(snapshot) };
    }
    return out;
  } finally {
    await server.close();
  }
}

describe('a targeted read sends the requests and builds the snapshot it did when recorded', () => {
  it('for every pod, claim, volume, node and attachment of the stories and the small clusters', async () => {
    const now: Record<string, Record<string, Reading>> = {};
    for (const [name, objects] of Object.entries(CLUSTERS)) now[name] = await readEach(objects);
    if (process.env.RECORD_TARGETED_READS) writeFileSync(RECORDING, `${JSON.stringify(now, null, 1)}\n`);
    const before = recorded as Record<string, Record<string, Reading>>;
    expect(Object.keys(now)).toEqual(Object.keys(before));
    const changed: string[] = [];
    for (const [cluster, readings] of Object.entries(now)) {
      expect(Object.keys(readings).sort(), cluster).toEqual(Object.keys(before[cluster]).sort());
      for (const [target, reading] of Object.entries(readings)) {
        const was = before[cluster][target];
        const sent = reading.requests.filter((r) => !was.requests.includes(r));
        const dropped = was.requests.filter((r) => !reading.requests.includes(r));
        if (JSON.stringify(reading.requests) !== JSON.stringify(was.requests)) {
          changed.push(`${cluster} ${target}: requests ${reading.requests.length} (was ${was.requests.length}); new ${JSON.stringify(sent)}; no longer ${JSON.stringify(dropped)}`);
        }
        for (const list of new Set([...Object.keys(reading.snapshot.names), ...Object.keys(was.snapshot.names)])) {
          const [names, wasNames] = [reading.snapshot.names[list] ?? [], was.snapshot.names[list] ?? []];
          if (JSON.stringify(names) !== JSON.stringify(wasNames)) changed.push(`${cluster} ${target}: ${list} ${JSON.stringify(names)} (was ${JSON.stringify(wasNames)})`);
        }
        if (reading.snapshot.digest !== was.snapshot.digest) changed.push(`${cluster} ${target}: the snapshot differs`);
      }
    }
    expect(changed).toEqual([]);
    // The cases this is meant to hold to: a pod waiting with Multi-Attach lists every attachment, a running pod
    // does not, and a Longhorn volume brings Longhorn's objects in.
    expect(now.small['pods/apps/app-0-moved'].requests).toContain('GET /apis/storage.k8s.io/v1/volumeattachments?limit=5000');
    expect(now.small['pods/apps/app-1'].requests.some((r) => r.startsWith('GET /apis/storage.k8s.io/v1/volumeattachments?'))).toBe(false);
    // A name not found is asked for once: the claim that was never made, the waiting pod's attachment on its node.
    expect(now.missingPieces['pods/apps/lost-claim'].requests.filter((r) => r.endsWith('/persistentvolumeclaims/never-made'))).toHaveLength(1);
    for (const [cluster, readings] of Object.entries(now)) {
      for (const [target, { requests }] of Object.entries(readings)) {
        expect(requests.filter((r, i) => !r.includes('?') && requests.indexOf(r) !== i), `${cluster} ${target}`).toEqual([]);
      }
    }
    expect(now.longhornWithNodes['persistentvolumes/pvc-lh000001'].requests.filter((r) => r.includes('/apis/longhorn.io/v1beta2/')).length).toBeGreaterThan(3);
  }, 180_000);
});
