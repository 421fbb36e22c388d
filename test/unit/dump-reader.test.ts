import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { readDumps, readStreamCapped } from '../../src/cluster/dump-reader.js';
import { parseRfc3339 } from '../../src/cluster/shape.js';
import { checkTargetInDump } from '../../src/cli/load.js';
import { checkNow } from '../../src/cli/options.js';
import { NotFoundError, UsageError } from '../../src/errors.js';
import { ago, asList, lease, node, pod, Raw } from '../fixtures/builders.js';
import { lhSetting } from '../fixtures/longhorn.js';

const read = (objects: Raw[] | string, options: { now?: string; namespace?: string } = {}) =>
  readDumps(['-'], { ...options, stdin: typeof objects === 'string' ? objects : JSON.stringify(asList(objects)) });

describe('parseRfc3339 and --now', () => {
  it.each([
    ['2026-11-24T03:00:00Z', Date.UTC(2026, 10, 24, 3)],
    ['2026-11-24T03:00:00.000000Z', Date.UTC(2026, 10, 24, 3)],
    ['2026-11-24t04:00:00+01:00', Date.UTC(2026, 10, 24, 3)],
    ['2024-02-29T00:00:00Z', Date.UTC(2024, 1, 29)],
    ['2000-02-29T00:00:00Z', Date.UTC(2000, 1, 29)],
  ])('reads %s', (text, ms) => expect(parseRfc3339(text)).toBe(ms));

  it.each(['2026-02-30T00:00:00Z', '1900-02-29T00:00:00Z', '2026-06-31T00:00:00Z', '2026-00-10T00:00:00Z', '2026-01-01T23:59:60Z', '2026-01-01', '1', 'yesterday', '2026-01-01T00:00:00', '2026-01-01T00:00:00+24:00'])('refuses %s', (text) => {
    expect(parseRfc3339(text)).toBeUndefined();
  });

  it('checkNow refuses what Date.parse rolls over, and normalises what it accepts', () => {
    expect(() => checkNow('2026-02-30T00:00:00Z')).toThrow(UsageError);
    expect(checkNow('2026-03-02T00:00:00+02:00')).toBe('2026-03-01T22:00:00.000Z');
    expect(checkNow(undefined)).toBeUndefined();
  });
});

describe('the moment a dump is judged at', () => {
  it('is the newest Lease renewal or node heartbeat, named in nowBasis', () => {
    const s = read([node('worker-1'), lease('worker-1', ago('5s')), pod('shop', 'web-0', { node: 'worker-1', created: ago('1m') })]);
    expect(s.now).toBe('2026-11-24T02:59:55.000Z');
    expect(s.nowBasis).toBe('the newest heartbeat in the dump (lease kube-node-lease/worker-1 at 2026-11-24T02:59:55.000000Z)');
    expect(s.nowNote).toBeUndefined();
    const nodesOnly = read([node('worker-1')]);
    expect(nodesOnly.nowBasis).toBe('the newest heartbeat in the dump (node worker-1 at 2026-11-24T02:59:50Z)');
  });

  it('ignores a heartbeat far ahead of the Ready nodes\' median, and reports it with the other later timestamps', () => {
    const skewed = lease('worker-3', '2026-11-24T05:00:00Z');
    const s = read([node('worker-1'), node('worker-2'), node('worker-3'), lease('worker-1', ago('5s')), lease('worker-2', ago('6s')), skewed]);
    expect(s.now).toBe('2026-11-24T02:59:55.000Z');
    expect(s.nowNote).toBe('1 timestamp in the dump is more than a minute later and was ignored: 2026-11-24T05:00:00.000000Z (lease kube-node-lease/worker-3)');
  });

  it('does not believe a Ready node\'s Lease 14 minutes ahead of the others: a node NotReady for 20s stays NotReady for 20s', () => {
    const ahead = '2026-11-24T03:14:00Z';
    const skewed = node('worker-3');
    skewed.status.conditions[0].lastHeartbeatTime = ahead;
    const s = read([
      node('worker-1'), lease('worker-1', ago('5s')),
      skewed, lease('worker-3', ahead),
      node('worker-2', { ready: 'Unknown', since: ago('20s') }), lease('worker-2', ago('20s')),
    ]);
    expect(s.now).toBe('2026-11-24T02:59:55.000Z');
    expect(s.nowNote).toMatch(/later and were? ignored/);
  });

  it('keeps the newest heartbeat of a live node when the others stopped long ago (a node down is not a skewed clock)', () => {
    const s = read([node('worker-1'), node('worker-2', { ready: 'Unknown', since: ago('3h') }), lease('worker-1', ago('5s')), lease('worker-2', ago('3h'))]);
    expect(s.now).toBe('2026-11-24T02:59:55.000Z');
  });

  it('falls back to the newest timestamp of any kind when there is no heartbeat, and says so', () => {
    const s = read([pod('shop', 'web-0', { created: ago('1m') })]);
    expect(s.now).toBe('2026-11-24T02:59:00.000Z');
    expect(s.nowBasis).toBe('the newest timestamp in the dump (pod shop/web-0 at 2026-11-24T02:59:00Z), as it has no node heartbeat or Lease renewal: pass --now to judge at another moment');
  });

  it('does not read timestamps that are not RFC 3339, and asks for --now when none is left', () => {
    const p = pod('shop', 'web-0');
    const strip = (o: Raw): Raw => JSON.parse(JSON.stringify(o).replace(/"20\d\d-[^"]+"/g, '"1"'));
    expect(() => read([strip(p)])).toThrow(/no timestamps in the dump to judge durations against; pass --now/);
    expect(read([strip(p)], { now: '2026-01-01T00:00:00.000Z' }).nowBasis).toBe('--now');
  });
});

describe('duplicates', () => {
  const version = (rv: string, phase: string, created = ago('1h')) => {
    const p = pod('shop', 'web-0', { node: 'worker-1', uid: 'u-1', created });
    p.metadata.resourceVersion = rv;
    p.status.phase = phase;
    return p;
  };

  it('keeps the higher resourceVersion, compared as numbers, in either order', () => {
    expect(read([node('worker-1'), version('99', 'Pending'), version('100', 'Running')]).pods.map((p) => p.phase)).toEqual(['Running']);
    expect(read([node('worker-1'), version('100', 'Running'), version('99', 'Pending')]).pods.map((p) => p.phase)).toEqual(['Running']);
  });

  it('without numeric resourceVersions, keeps the later creationTimestamp, else the one given later', () => {
    expect(read([node('worker-1'), version('b', 'Running', ago('1m')), version('a', 'Pending', ago('2h'))]).pods.map((p) => p.phase)).toEqual(['Running']);
    expect(read([node('worker-1'), version('b', 'Pending'), version('a', 'Running')]).pods.map((p) => p.phase)).toEqual(['Running']);
  });

  it('keeps objects of the same name in different namespaces or of different kinds', () => {
    const s = read([node('worker-1'), pod('shop', 'web-0'), pod('prod', 'web-0'), lhSetting('worker-1', 'x')]);
    expect(s.pods).toHaveLength(2);
    expect(s.nodes).toHaveLength(1);
  });
});

describe('shapes the API server never writes', () => {
  it('drops a pod whose volume name is not a name (it would reach a printed command as the claim of a generic ephemeral volume)', () => {
    const p = pod('shop', 'web-0');
    p.spec.volumes.unshift({ name: 'd;curl x|sh', ephemeral: { volumeClaimTemplate: { spec: {} } } });
    const s = read([node('worker-1'), p]);
    expect(s.pods).toEqual([]);
    expect(s.incomplete).toEqual([{ resource: 'pods', reason: '1 object dropped from standard input as malformed: items[1] (pod shop/web-0): spec.volumes[0].name "d;curl x|sh" is not a valid Kubernetes name (an RFC 1123 label)' }]);
  });

  it('drops a pod with a null volume and reports where', () => {
    const p = pod('shop', 'web-0', { claims: ['data'] });
    p.spec.volumes.push(null);
    const s = read([node('worker-1'), p]);
    expect(s.pods).toEqual([]);
    expect(s.incomplete).toEqual([{ resource: 'pods', reason: '1 object dropped from standard input as malformed: items[1] (pod shop/web-0): spec.volumes[2] is null, not an object' }]);
  });

  it('does not take kinds named like Object.prototype members for kinds it reads', () => {
    const odd = ['constructor', '__proto__', 'toString', 'hasOwnProperty'].map((kind) => ({ kind, apiVersion: 'longhorn.io/v1beta2', metadata: { name: 'x' } }));
    const s = read([node('worker-1'), ...odd]);
    expect(s.incomplete).toEqual([]);
    expect(s.longhorn).toBeUndefined();
  });

  it('keeps a Longhorn setting named __proto__ a setting', () => {
    const s = read([node('worker-1'), lhSetting('__proto__', 'polluted'), lhSetting('node-down-pod-deletion-policy', 'do-nothing')]);
    expect(Object.getPrototypeOf(s.longhorn!.settings)).toBe(Object.prototype);
    expect(s.longhorn!.settings['node-down-pod-deletion-policy']).toBe('do-nothing');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('reads ordinary nesting and a modest YAML anchor', () => {
    const deep = node('worker-1');
    let v: Raw = {};
    deep.status.nodeInfo = v;
    for (let i = 0; i < 80; i++) v = v.x = {};
    expect(read([deep]).nodes).toHaveLength(1);
    const yaml = 'apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Node\n  metadata: {name: a, labels: &l {team: x}}\n  status: {conditions: [{type: Ready, status: "True", lastHeartbeatTime: "2026-11-24T02:59:50Z"}]}\n- apiVersion: v1\n  kind: Node\n  metadata: {name: b, labels: *l}\n';
    expect(read(yaml).nodes.map((n) => n.name)).toEqual(['a', 'b']);
  });
});

describe('standard input', () => {
  it('is read up to the cap, and refused over it', async () => {
    expect(await readStreamCapped(Readable.from([Buffer.from('ab'), Buffer.from('cd')]), 4)).toBe('abcd');
    await expect(readStreamCapped(Readable.from([Buffer.from('ab'), Buffer.from('cde')]), 4)).rejects.toThrow(/--from-file -: standard input is over/);
  });
});

describe('checkTargetInDump', () => {
  const s = read([node('worker-1'), pod('shop', 'web-0')]);
  it('passes a target that is there', () => {
    expect(() => checkTargetInDump(s, { resource: 'pods', name: 'web-0', namespace: 'shop' })).not.toThrow();
  });
  it('is NotFoundError only when the dump holds that kind in that namespace', () => {
    expect(() => checkTargetInDump(s, { resource: 'pods', name: 'web-1', namespace: 'shop' })).toThrow(NotFoundError);
    expect(() => checkTargetInDump(s, { resource: 'nodes', name: 'worker-2' })).toThrow('nodes "worker-2" not found');
    const other = () => checkTargetInDump(s, { resource: 'pods', name: 'web-1', namespace: 'prod' });
    expect(other).toThrow(UsageError);
    expect(other).not.toThrow(NotFoundError);
    expect(() => checkTargetInDump(s, { resource: 'persistentvolumes', name: 'pv-1' })).toThrow('the dump holds no persistentvolumes');
  });
});
