import { describe, expect, it } from 'vitest';
import { Graph } from '../../src/graph.js';
import { runChecks } from '../../src/checks/index.js';
import { guardsFor, plan } from '../../src/remedy/plan.js';
import type { PlanOptions } from '../../src/remedy/types.js';
import { ago, boundVolume, lease, node, NOW, pod, snapshotOf, volumeAttachment } from '../fixtures/builders.js';
import { story1, story2 } from '../fixtures/stories.js';

const FIVE_MIN = 5 * 60_000;
const opts = (o: Partial<PlanOptions> = {}): PlanOptions => ({ confirmNodeDown: [], nodeDownForMs: FIVE_MIN, ...o });

function planFor(objects: unknown[], o: Partial<PlanOptions> = {}, version?: { major: number; minor: number; gitVersion: string } | null, now = NOW) {
  const s = snapshotOf(objects, now);
  s.source = { type: 'cluster', context: 'test' };
  if (version !== undefined) s.serverVersion = version ?? undefined;
  const graph = new Graph(s);
  return { graph, result: plan(runChecks(graph), graph, opts(o), true) };
}

const downWorker3 = (since = '25m', renewed = since) => [node('worker-1'), node('worker-3', { ready: 'Unknown', since: ago(since) }), lease('worker-3', ago(renewed))];
const guard = (a: { guards: { name: string; ok: boolean }[] }, name: string) => a.guards.find((g) => g.name === name);

describe('plan', () => {
  it('prefers the out-of-service taint for a confirmed down node (story 2)', () => {
    const { result } = planFor([...downWorker3(), ...story2()], { confirmNodeDown: ['worker-3'] });
    expect(result.actions).toHaveLength(1);
    const [a] = result.actions;
    expect(a).toMatchObject({ type: 'taint-out-of-service', target: { kind: 'Node', name: 'worker-3' }, status: 'planned' });
    expect(a.command).toBe('kubectl taint node worker-3 node.kubernetes.io/out-of-service=nodeshutdown:NoExecute');
    expect(a.guards.map((g) => g.name)).toEqual(['server-supports-out-of-service', 'taint-absent', 'node-not-ready', 'lease-stale', 'kubelet-not-answering', 'node-down-confirmed']);
    expect(a.guards.every((g) => g.ok)).toBe(true);
  });

  it('refuses without the operator\'s confirmation', () => {
    const [a] = planFor([...downWorker3(), ...story2()]).result.actions;
    expect(a.status).toBe('refused');
    expect(guard(a, 'node-down-confirmed')?.ok).toBe(false);
    expect(a.message).toContain('--confirm-node-down worker-3');
  });

  it('refuses when the node has been down for less than --node-down-for (boundary)', () => {
    const at = (since: string) => planFor([...downWorker3(since), ...story2()], { confirmNodeDown: ['worker-3'] }).result.actions[0];
    expect(at('4m59s').status).toBe('refused');
    expect(guard(at('4m59s'), 'node-not-ready')?.detail).toContain('less than --node-down-for 5m');
    expect(at('5m').status).toBe('planned');
  });

  it('refuses when the Lease was renewed recently, or is missing', () => {
    const fresh = planFor([...downWorker3('25m', '30s'), ...story2()], { confirmNodeDown: ['worker-3'] }).result.actions[0];
    expect(fresh.status).toBe('refused');
    expect(guard(fresh, 'lease-stale')?.ok).toBe(false);
    const objects = [node('worker-1'), node('worker-3', { ready: 'Unknown', since: ago('25m') }), ...story2()];
    const missing = planFor(objects, { confirmNodeDown: ['worker-3'] }).result.actions[0];
    expect(missing.status).toBe('refused');
    expect(guard(missing, 'lease-stale')?.detail).toContain('no Lease kube-node-lease/worker-3');
  });

  it('falls back to force-delete-pod and delete-volumeattachment on a server older than 1.26', () => {
    const { result } = planFor([...downWorker3(), ...story2()], { confirmNodeDown: ['worker-3'] }, { major: 1, minor: 25, gitVersion: 'v1.25.16' });
    expect(result.actions.map((a) => a.type).sort()).toEqual(['delete-volumeattachment', 'force-delete-pod']);
    const force = result.actions.find((a) => a.type === 'force-delete-pod')!;
    expect(force.command).toBe('kubectl delete pod db-0 -n prod --grace-period=0 --force');
    expect(force.status).toBe('planned');
    expect(guard(force, 'out-of-service-unavailable-or-tried')?.detail).toContain('predates');
  });

  it('refuses the taint when the live server version is unknown', () => {
    const [a] = planFor([...downWorker3(), ...story2()], { confirmNodeDown: ['worker-3'] }, null).result.actions;
    expect(a.status).toBe('refused');
    expect(guard(a, 'server-supports-out-of-service')?.detail).toBe('server version unknown');
  });

  it('deletes an attachment whose node object is gone, without needing a confirmation', () => {
    const objects = [node('worker-1'), ...story1()];
    const { result } = planFor(objects);
    expect(result.actions).toHaveLength(1);
    expect(result.actions[0]).toMatchObject({ type: 'delete-volumeattachment', status: 'planned' });
    expect(result.actions[0].guards.map((g) => g.name)).toEqual(['node-absent', 'no-live-pod-uses-volume']);
  });

  it('does not take a node it could not read for a deleted one', () => {
    const objects = story1();
    const s = snapshotOf(objects);
    s.source = { type: 'cluster', context: 'test' };
    s.incomplete.push({ resource: 'nodes', reason: 'forbidden: nodes is forbidden' });
    const graph = new Graph(s);
    const result = plan(runChecks(graph), graph, opts({ confirmNodeDown: ['worker-2'] }), true);
    expect(result.actions).toHaveLength(1);
    expect(result.actions[0]).toMatchObject({ type: 'delete-volumeattachment', status: 'refused' });
    expect(guard(result.actions[0], 'node-absent')).toMatchObject({ ok: false, detail: 'node worker-2 is unknown (Node objects could not be read): cannot tell whether it was deleted' });
  });

  it('never touches a Ready node that holds the volume', () => {
    const objects = [node('worker-1'), node('worker-2'), lease('worker-2', ago('2s')), ...story1()];
    expect(planFor(objects).result.actions).toEqual([]);
    const confirmed = planFor(objects, { confirmNodeDown: ['worker-2'] }).result.actions;
    expect(confirmed).toHaveLength(1);
    expect(confirmed[0].status).toBe('refused');
    expect(guard(confirmed[0], 'node-not-ready')?.detail).toContain('is Ready');
  });

  it('removes an out-of-service taint only after the node has been Ready for --node-ready-for', () => {
    const taint = { key: 'node.kubernetes.io/out-of-service', value: 'nodeshutdown', effect: 'NoExecute' };
    const back = (since: string) => planFor([node('worker-4', { since: ago(since), taints: [taint] })]).result.actions[0];
    expect(back('10m')).toMatchObject({ type: 'remove-out-of-service-taint', status: 'planned', command: 'kubectl taint node worker-4 node.kubernetes.io/out-of-service-' });
    expect(back('2m').status).toBe('refused');
  });

  it('--only keeps just the chosen checks', () => {
    const taint = { key: 'node.kubernetes.io/out-of-service', value: 'nodeshutdown', effect: 'NoExecute' };
    const objects = [...downWorker3(), ...story2(), node('worker-4', { since: ago('1h'), taints: [taint] })];
    const { result } = planFor(objects, { only: ['out-of-service-taint-left'] });
    expect(result.actions.map((a) => a.type)).toEqual(['remove-out-of-service-taint']);
  });
});

describe('guardsFor re-judges an action against a newer state', () => {
  it('fails once the node came back', () => {
    const target = { kind: 'Node', name: 'worker-3' };
    const before = new Graph(snapshotOf([...downWorker3(), ...story2()]));
    expect(guardsFor('taint-out-of-service', target, before, opts({ confirmNodeDown: ['worker-3'] })).every((g) => g.ok)).toBe(true);
    const after = new Graph(snapshotOf([node('worker-3'), lease('worker-3', ago('1s')), ...story2()]));
    expect(guardsFor('taint-out-of-service', target, after, opts({ confirmNodeDown: ['worker-3'] })).some((g) => !g.ok)).toBe(true);
  });

  it('refuses to delete an attachment a live pod on that node uses', () => {
    const objects = [node('worker-3', { ready: 'Unknown', since: ago('25m') }), lease('worker-3', ago('25m')), ...boundVolume('a', 'c', 'pv-a'),
      volumeAttachment({ pv: 'pv-a', node: 'worker-3' }), pod('a', 'p', { node: 'worker-3', claims: ['c'] })];
    const graph = new Graph(snapshotOf(objects));
    const va = graph.allVolumeAttachments()[0];
    const guards = guardsFor('delete-volumeattachment', { kind: 'VolumeAttachment', name: va.name }, graph, opts({ confirmNodeDown: ['worker-3'] }));
    expect(guards.find((g) => g.name === 'no-live-pod-uses-volume')).toMatchObject({ ok: false });
  });
});
