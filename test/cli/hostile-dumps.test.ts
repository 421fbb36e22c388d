// Dumps are untrusted input: what a user notices when a dump is odd, broken or hostile.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { EXAMPLE, Run, runBinary, runBinaryAsync } from './run-binary.js';
import { ago, asList, boundVolume, lease, node, pod, podEvent, Raw, volumeAttachment } from '../fixtures/builders.js';
import { clusterBase, story1 } from '../fixtures/stories.js';

const made: string[] = [];
const tmp = () => {
  const dir = mkdtempSync(join(tmpdir(), 'vd-hostile-'));
  made.push(dir);
  return dir;
};
afterAll(() => made.forEach((d) => rmSync(d, { recursive: true, force: true })));

const write = (dir: string, name: string, content: unknown) => {
  const f = join(dir, name);
  writeFileSync(f, typeof content === 'string' ? content : JSON.stringify(content));
  return f;
};

/** Exit 2, nothing on stdout, one line on stderr that says what is wrong, no stack. */
function expectInputError(r: Run, message: string | RegExp) {
  expect(r.code, r.stderr).toBe(2);
  expect(r.stdout).toBe('');
  expect(r.stderr.trim().split('\n')).toHaveLength(1);
  expect(r.stderr).toMatch(message);
  expect(r.stderr).not.toMatch(/\n\s+at /);
}

/** Node worker-2 NotReady for 2 minutes, a StatefulSet pod stuck Terminating there, and one event stamped 2099. */
function story2099(): Raw[] {
  const db = pod('prod', 'db-0', { node: 'worker-2', claims: ['data-db-0'], owner: { kind: 'StatefulSet', name: 'db' }, deletionTimestamp: ago('90s'), grace: 0, created: ago('72h') });
  return [
    node('worker-1'), node('worker-2', { ready: 'Unknown', since: ago('2m') }), lease('worker-1', ago('5s')), lease('worker-2', ago('2m40s')),
    ...boundVolume('prod', 'data-db-0', 'pvc-9f8e7d6c'), volumeAttachment({ pv: 'pvc-9f8e7d6c', node: 'worker-2', attached: true }), db,
    podEvent(db, { reason: 'FailedMount', message: 'MountVolume.SetUp failed for volume "data"', last: '2099-01-01T00:00:00Z' }),
  ];
}

describe('the moment a dump is judged at', () => {
  it('is the newest heartbeat: an event stamped 2099 does not make a node down for 2 minutes look down for decades', () => {
    const f = write(tmp(), '2099.json', asList(story2099()));
    const p = runBinary(['fix', '--from-file', f, '--dry-run', '-o', 'json', '--confirm-node-down', 'worker-2']);
    expect(p.code, p.stderr).toBe(0);
    const actions = JSON.parse(p.stdout).actions;
    expect(actions.filter((a: { status: string }) => a.status === 'planned')).toEqual([]);
    const taint = actions.find((a: { type: string }) => a.type === 'taint-out-of-service');
    expect(taint.status).toBe('refused');
    expect(taint.guards.find((g: { name: string }) => g.name === 'node-not-ready')).toMatchObject({ ok: false, detail: 'node worker-2 NotReady for 115s, less than --node-down-for 5m' });

    const d = JSON.parse(runBinary(['diagnose', '--from-file', f, '-o', 'json']).stdout);
    expect(d.now).toBe('2026-11-24T02:59:55.000Z');
    expect(d.nowBasis).toBe('the newest heartbeat in the dump (lease kube-node-lease/worker-1 at 2026-11-24T02:59:55.000000Z)');
    expect(d.nowNote).toMatch(/^3 timestamps in the dump are more than a minute later and were ignored, the latest 2099-01-01T00:00:00Z \(event prod\/db-0\.[0-9a-f]+\)$/);
  });

  it('does not believe a heartbeat far ahead of the Ready nodes\' heartbeats', () => {
    const objects = story2099();
    objects.find((o) => o.kind === 'Lease' && o.metadata.name === 'worker-2').spec.renewTime = '2099-01-01T00:00:00.000000Z';
    const d = JSON.parse(runBinary(['diagnose', '--from-file', write(tmp(), 'skew.json', asList(objects)), '-o', 'json']).stdout);
    expect(d.now).toBe('2026-11-24T02:59:55.000Z');
    expect(d.nowNote).toContain('2099-01-01T00:00:00.000000Z (lease kube-node-lease/worker-2)');
  });

  it('says so when the dump has no heartbeat and the newest timestamp of any kind is used', () => {
    const d = JSON.parse(runBinary(['diagnose', '--from-file', write(tmp(), 'nobeat.json', asList(story1())), '-o', 'json']).stdout);
    expect(d.nowBasis).toMatch(/^the newest timestamp in the dump \(.+ at .+\), as it has no node heartbeat or Lease renewal: pass --now to judge at another moment$/);
    const given = JSON.parse(runBinary(['diagnose', '--from-file', EXAMPLE, '-o', 'json', '--now', '2026-11-24T02:00:00Z']).stdout);
    expect(given.nowBasis).toBe('--now');
    expect(given.nowNote).toMatch(/timestamps in the dump are more than a minute later and were ignored/);
  });

  it.each(['2026-02-30T00:00:00Z', '2023-02-29T00:00:00Z', '2026-04-31T00:00:00Z', '2026-01-01T24:00:00Z', '2026-01-01T00:60:00Z', '2026-13-01T00:00:00Z', '2026-01-01T00:00:00+25:00'])('--now %s is refused: the date does not exist', (now) => {
    expectInputError(runBinary(['diagnose', '--from-file', EXAMPLE, '--now', now]), `invalid --now "${now}"`);
  });

  it('--now accepts a leap day and an offset', () => {
    const r = runBinary(['diagnose', '--from-file', EXAMPLE, '-o', 'json', '--now', '2024-02-29T01:00:00+01:00']);
    expect(JSON.parse(r.stdout).now).toBe('2024-02-29T00:00:00.000Z');
  });
});

describe('what --from-file reads', () => {
  it('refuses a named pipe at once instead of waiting for a writer', async () => {
    const fifo = join(tmp(), 'dump.json');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    const r = await runBinaryAsync(['diagnose', '--from-file', fifo], {}, { timeoutMs: 15_000 });
    expect(r.timedOut).toBe(false);
    expectInputError(r, `--from-file ${fifo}: a named pipe, not a regular file or directory`);
    // Inside a directory too.
    const d = await runBinaryAsync(['diagnose', '--from-file', join(fifo, '..')], {}, { timeoutMs: 15_000 });
    expect(d.timedOut).toBe(false);
    expectInputError(d, 'a named pipe, not a regular file or directory');
  });

  it('refuses a device such as /dev/zero without reading it', async () => {
    const r = await runBinaryAsync(['diagnose', '--from-file', '/dev/zero'], {}, { timeoutMs: 15_000 });
    expect(r.timedOut).toBe(false);
    expectInputError(r, '--from-file /dev/zero: a character device, not a regular file or directory');
  });

  it('refuses files over 500 MiB, alone or together, before reading them', () => {
    const dir = tmp();
    const big = join(dir, 'big.json');
    writeFileSync(big, '');
    truncateSync(big, 600 * 1024 * 1024); // sparse: takes no disk space
    expectInputError(runBinary(['diagnose', '--from-file', big]), `--from-file ${big}: the dump is over 500 MiB (600 MiB)`);
    const a = join(dir, 'a.json');
    const b = join(dir, 'b.json');
    for (const f of [a, b]) { writeFileSync(f, ''); truncateSync(f, 300 * 1024 * 1024); }
    const started = Date.now();
    expectInputError(runBinary(['diagnose', '--from-file', a, '--from-file', b]), 'the dump files together are over 500 MiB');
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('reads standard input for --from-file -, as kubectl ... -o json | kubectl volume-doctor diagnose --from-file -', async () => {
    const r = await runBinaryAsync(['diagnose', '--from-file', '-', '-o', 'json'], {}, { input: readFileSync(EXAMPLE, 'utf8') });
    expect(r.code).toBe(1);
    const doc = JSON.parse(r.stdout);
    expect(doc.source).toBe('file:-');
    expect(doc.findings.map((f: { check: string }) => f.check)).toContain('multi-attach');
    const empty = await runBinaryAsync(['diagnose', '--from-file', '-'], {}, { input: '' });
    expectInputError(empty, '--from-file -: the file is empty');
  });

  it('reads the same file given twice once: findings are not doubled', () => {
    const once = JSON.parse(runBinary(['diagnose', '--from-file', EXAMPLE, '-o', 'json']).stdout);
    const twice = JSON.parse(runBinary(['diagnose', '--from-file', EXAMPLE, '--from-file', EXAMPLE, '-o', 'json']).stdout);
    expect(twice.findings).toEqual(once.findings);
    // A copy under another name, and the same objects in two documents, too.
    const dir = tmp();
    const copy = write(dir, 'copy.json', readFileSync(EXAMPLE, 'utf8'));
    const again = JSON.parse(runBinary(['diagnose', '--from-file', EXAMPLE, '--from-file', copy, '-o', 'json']).stdout);
    expect(again.summary).toEqual(once.summary);
  });

  it('keeps the newer of two versions of an object: the higher resourceVersion, in whichever order they come', () => {
    const dir = tmp();
    const objects = [...clusterBase(), ...story1()];
    const stuck = objects.find((o) => o.kind === 'Pod');
    const started = structuredClone(stuck);
    started.metadata.resourceVersion = String(Number(stuck.metadata.resourceVersion) + 500);
    started.status.phase = 'Running';
    started.status.containerStatuses[0].state = { running: { startedAt: ago('1m') } };
    const base = write(dir, 'base.json', asList(objects));
    const later = write(dir, 'later.json', asList([started]));
    for (const order of [[base, later], [later, base]]) {
      const doc = JSON.parse(runBinary(['diagnose', ...order.flatMap((f) => ['--from-file', f]), '-o', 'json']).stdout);
      expect(doc.findings.map((f: { check: string }) => f.check)).not.toContain('multi-attach');
    }
  });
});

describe('YAML and JSON that would exhaust us', () => {
  it('refuses a 500-byte YAML alias bomb quickly', () => {
    const lines = ['kind: List', 'a0: &a0 [x,x,x,x,x,x,x,x,x]'];
    for (let i = 1; i < 10; i++) lines.push(`a${i}: &a${i} [${Array(9).fill(`*a${i - 1}`).join(',')}]`);
    lines.push('items: [{kind: Node, metadata: {name: n, labels: *a9}}]');
    const f = write(tmp(), 'bomb.yaml', `${lines.join('\n')}\n`);
    expect(readFileSync(f).length).toBeLessThan(600);
    const started = Date.now();
    expectInputError(runBinary(['diagnose', '--from-file', f]), /YAML aliases expand to more than 1000000 values \(an alias bomb\?\); kubectl never writes aliases/);
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('refuses an alias that refers to itself', () => {
    const f = write(tmp(), 'self.yaml', 'kind: List\nitems: &a [*a]\n');
    expectInputError(runBinary(['diagnose', '--from-file', f]), 'a YAML alias refers to a value that contains it');
  });

  it('refuses nesting deeper than 100 levels, JSON or YAML, without a stack overflow', () => {
    const dir = tmp();
    const json = write(dir, 'deep.json', `{"kind":"List","items":[{"kind":"Node","metadata":{"name":"n"},"x":${'['.repeat(100_000)}${']'.repeat(100_000)}}]}`);
    expectInputError(runBinary(['diagnose', '--from-file', json]), 'nested deeper than 100 levels');
    const yml = write(dir, 'deep.yaml', `kind: List\nx: ${'['.repeat(5000)}${']'.repeat(5000)}\n`);
    expectInputError(runBinary(['diagnose', '--from-file', yml]), 'nested deeper than 100 levels');
  });
});

describe('malformed objects are dropped and reported, the rest is read', () => {
  const garbage = (): Raw[] => {
    const nameless = volumeAttachment({ pv: 'pvc-zz', node: 'worker-1' });
    delete nameless.metadata.name;
    const nodeless = volumeAttachment({ pv: 'pvc-yy', node: 'worker-9' });
    delete nodeless.spec.nodeName;
    const volumes5 = pod('shop', 'bad-volumes', { node: 'worker-1' });
    volumes5.spec.volumes = 5;
    const numberNode = pod('shop', 'bad-node', { node: 'worker-1' });
    numberNode.spec.nodeName = 7;
    return [null, 5, 'text', { kind: 'Pod', apiVersion: 'v1', metadata: 'x' }, nameless, nodeless, volumes5, numberNode];
  };

  it('exits 1 on the findings that remain, and lists what was dropped and why', () => {
    const f = write(tmp(), 'mixed.json', asList([...clusterBase(), ...story1(), ...garbage()]));
    const r = runBinary(['diagnose', '--from-file', f, '-o', 'json']);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toBe('');
    const doc = JSON.parse(r.stdout);
    expect(doc.findings.map((x: { check: string }) => x.check)).toContain('multi-attach');
    const byResource = Object.fromEntries(doc.incomplete.map((i: { resource: string; reason: string }) => [i.resource, i.reason]));
    expect(byResource.objects).toContain(`3 objects dropped from ${f} as malformed: items[`);
    expect(byResource.objects).toContain('is null, not an object');
    expect(byResource.pods).toContain('3 objects dropped');
    expect(byResource.pods).toContain('metadata is a string, not an object');
    expect(byResource.pods).toContain('(pod shop/bad-volumes): spec.volumes is a number, not an array');
    expect(byResource.pods).toContain('(pod shop/bad-node): spec.nodeName is a number, not a string');
    expect(byResource.volumeattachments).toContain('it has no metadata.name');
    expect(byResource.volumeattachments).toContain('it has no spec.nodeName');
    expect(r.stdout).not.toContain('undefined');
    expect(r.stdout).not.toContain('worker-9');
  });

  it('exits 3 when no finding reaches --fail-on, and says what was dropped in the table', () => {
    const f = write(tmp(), 'healthy-but.json', asList([node('worker-1'), lease('worker-1', ago('5s')), ...garbage()]));
    const r = runBinary(['diagnose', '--from-file', f]);
    expect(r.code, r.stderr).toBe(3);
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain('could not read volumeattachments: 2 objects dropped');
    expect(r.stdout).not.toMatch(/volumeattachment\/undefined|deleted node ''/);
    // A fix plan from it deletes no attachment of a node it does not know.
    const p = runBinary(['fix', '--from-file', f, '--dry-run', '-o', 'json']);
    expect(p.code, 'a plan from an incomplete read is incomplete').toBe(3);
    expect(JSON.parse(p.stdout).actions).toEqual([]);
  });

  it.each([
    ['items is an object', { kind: 'List', apiVersion: 'v1', items: {} }, 'items is an object, not an array'],
    ['items of null', { kind: 'PodList', apiVersion: 'v1', items: [null, null] }, '2 objects dropped'],
    ['only malformed pods', asList(garbage().slice(3)), 'nothing usable remains'],
  ])('exits 2 when nothing usable remains: %s', (_, content, message) => {
    const f = write(tmp(), 'bad.json', content);
    expectInputError(runBinary(['diagnose', '--from-file', f]), message);
  });

  it('reads YAML documents the same way', () => {
    const f = write(tmp(), 'mixed.yaml', 'kind: Pod\napiVersion: v1\nmetadata:\n  name: p\n  namespace: shop\nspec:\n  volumes: 5\n---\n' + readFileSync(EXAMPLE, 'utf8'));
    const r = runBinary(['diagnose', '--from-file', f, '-o', 'json']);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout).incomplete[0]).toMatchObject({ resource: 'pods' });
    expect(JSON.parse(r.stdout).incomplete[0].reason).toContain('1 object dropped from');
    expect(JSON.parse(r.stdout).incomplete[0].reason).toContain('document 1 (pod shop/p): spec.volumes is a number, not an array');
  });
});

describe('a target the dump does not hold', () => {
  it.each([
    [['pod/nope'], 'pods "nope" not found in namespace "default"'],
    [['pvc', 'nope', '-n', 'shop'], 'persistentvolumeclaims "nope" not found in namespace "shop"'],
    [['node/nope'], 'nodes "nope" not found'],
    [['pv/nope'], 'persistentvolumes "nope" not found'],
    [['volumeattachment/nope'], 'volumeattachments "nope" not found'],
  ])('%j exits 2 as kubectl would', (args, message) => {
    const dir = tmp();
    // The example has pods in shop, not in default; a default-namespace pod makes "not found" the answer.
    const f = write(dir, 'with-default.json', asList([pod('default', 'other', { node: 'worker-1' })]));
    expectInputError(runBinary(['diagnose', ...args, '--from-file', EXAMPLE, '--from-file', f]), message);
  });

  it('says the dump holds no such objects, rather than "not found"', () => {
    const f = write(tmp(), 'nodes.json', asList([node('worker-1'), lease('worker-1', ago('5s'))]));
    expectInputError(runBinary(['diagnose', 'pod/web-0', '--from-file', f]), 'the dump holds no pods: cannot look for pods "web-0"');
    expectInputError(runBinary(['diagnose', 'pod/web-0', '--from-file', EXAMPLE]), /the dump holds no pods in namespace "default" \(only in analytics, billing, .*\): cannot look for pods "web-0"; use -n NAMESPACE/);
  });

  it('still diagnoses the target when it is there, and makes no claim when pods were dropped as malformed', () => {
    expect(runBinary(['diagnose', 'pod/db-0', '-n', 'prod', '--from-file', EXAMPLE]).code).toBe(1);
    const dir = tmp();
    const broken = pod('shop', 'web-0', { node: 'worker-1' });
    broken.spec.volumes = 'x';
    const f = write(dir, 'broken.json', asList([node('worker-1'), lease('worker-1', ago('5s')), pod('shop', 'api-0', { node: 'worker-1' }), broken]));
    const r = runBinary(['diagnose', 'pod/web-0', '-n', 'shop', '--from-file', f]);
    expect(r.code).toBe(3);
    expect(r.stdout).toContain('could not read pods: 1 object dropped');
  });
});

describe('a directory', () => {
  it('reads only its regular .json/.yaml/.yml files and skips subdirectories', () => {
    const dir = tmp();
    writeFileSync(join(dir, 'a.json'), readFileSync(EXAMPLE, 'utf8'));
    mkdirSync(join(dir, 'sub.json'));
    writeFileSync(join(dir, 'notes.txt'), 'ignored');
    const r = runBinary(['diagnose', '--from-file', dir, '-o', 'json']);
    expect(r.code, r.stderr).toBe(1);
    expect(JSON.parse(r.stdout).source).toBe(`file:${join(dir, 'a.json')}`);
  });
});

describe('an item whose kind cannot be told may have been any object', () => {
  it('a node missing from a dump with such an item is unknown, not deleted: no finding says so, nothing is planned', () => {
    const objects: Raw[] = [node('worker-1'), lease('worker-1', ago('5s')), ...boundVolume('shop', 'data', 'pv-a'), volumeAttachment({ pv: 'pv-a', node: 'worker-2', attached: true })];
    const sound = write(tmp(), 'sound.json', asList(objects));
    // The contrast: a complete dump without worker-2 proves it gone.
    expect(runBinary(['diagnose', '-A', '--from-file', sound]).stdout).toMatch(/deleted node worker-2/);
    const list = asList(objects);
    list.items.push(null);
    const f = write(tmp(), 'unknown-item.json', list);
    const d = runBinary(['diagnose', '-A', '--from-file', f]);
    expect(d.stdout).not.toMatch(/deleted node/);
    expect(d.stdout).toContain('could not read objects');
    expect(d.code).toBe(3);
    const p = JSON.parse(runBinary(['fix', '-A', '--from-file', f, '--dry-run', '-o', 'json']).stdout);
    expect(p.actions.filter((a: { type: string; status: string }) => a.type === 'delete-volumeattachment' && a.status === 'planned')).toEqual([]);
  });
});
