// The action table and what apply does with it: every action type has its row, a confirmation is data (not a
// sentence to parse), and a node typed at the prompt never leaks into the caller's options.
import { describe, expect, it } from 'vitest';
import { Graph } from '../../src/graph.js';
import { runChecks } from '../../src/checks/index.js';
import { ACTIONS } from '../../src/remedy/actions.js';
import { onlyConfirmationMissing, plan, unconfirmedNode } from '../../src/remedy/plan.js';
import { applyPlan } from '../../src/remedy/apply.js';
import type { KubeClient } from '../../src/cluster/kube-client.js';
import type { ActionType, PlanOptions } from '../../src/remedy/types.js';
import { ago, boundVolume, lease, node, NOW, pod, snapshotOf } from '../fixtures/builders.js';
import { story2 } from '../fixtures/stories.js';

const opts = (o: Partial<PlanOptions> = {}): PlanOptions => ({ confirmNodeDown: [], nodeDownForMs: 5 * 60_000, ...o });

function liveGraph(objects: unknown[]): Graph {
  const s = snapshotOf(objects, NOW);
  s.source = { type: 'cluster', context: 'test' };
  return new Graph(s);
}

const story2Down = () => liveGraph([node('worker-1'), node('worker-3', { ready: 'Unknown', since: ago('25m') }), lease('worker-3', ago('25m')), ...story2()]);

describe('the action table', () => {
  it('has one row per action type of the JSON contract, each with its kubectl command', () => {
    const types: ActionType[] = ['taint-out-of-service', 'remove-out-of-service-taint', 'delete-volumeattachment', 'force-delete-pod'];
    expect(Object.keys(ACTIONS).sort()).toEqual([...types].sort());
    const node3 = { kind: 'Node', name: 'worker-3' };
    expect(ACTIONS['taint-out-of-service'].command(node3)).toBe('kubectl taint node worker-3 node.kubernetes.io/out-of-service=nodeshutdown:NoExecute');
    expect(ACTIONS['remove-out-of-service-taint'].command(node3)).toBe('kubectl taint node worker-3 node.kubernetes.io/out-of-service-');
    expect(ACTIONS['delete-volumeattachment'].command({ kind: 'VolumeAttachment', name: 'csi-1' })).toBe('kubectl delete volumeattachment csi-1');
    expect(ACTIONS['force-delete-pod'].command({ kind: 'Pod', namespace: 'prod', name: 'db-0' })).toBe('kubectl delete pod db-0 -n prod --grace-period=0 --force');
  });
});

describe('a confirmation the operator still owes', () => {
  it('names its node as data: rewording the guard\'s sentence does not lose it', () => {
    const graph = story2Down();
    const [a] = plan(runChecks(graph), graph, opts(), false).actions;
    expect(a).toMatchObject({ type: 'taint-out-of-service', status: 'refused' });
    for (const g of a.guards) if (g.name === 'node-down-confirmed') g.detail = 'a different sentence that names no node';
    expect(unconfirmedNode(a)).toBe('worker-3');
    expect(onlyConfirmationMissing(a)).toBe('worker-3');
  });

  it('is none once the node is confirmed', () => {
    const graph = story2Down();
    const [a] = plan(runChecks(graph), graph, opts({ confirmNodeDown: ['worker-3'] }), false).actions;
    expect(a.status).toBe('planned');
    expect(unconfirmedNode(a)).toBeUndefined();
  });
});

describe('apply', () => {
  it('asks for the node\'s name from the guard, and leaves the caller\'s options as they were', async () => {
    const graph = story2Down();
    const findings = runChecks(graph);
    const options = opts();
    const planned = plan(findings, graph, options, false);
    const questions: string[] = [];
    // A client that finds nothing on re-read: the action is aborted after the confirmation, before any write.
    const sent: string[] = [];
    const client = { request: async (path: string) => { sent.push(path); return {}; }, get: async () => undefined, list: async () => undefined } as unknown as KubeClient;
    const result = await applyPlan(planned, {
      client, options, graph, findings, serverDryRun: false, yes: false, timeoutMs: 1000, scope: {},
      ask: async (q) => { questions.push(q); return 'worker-3'; },
      log: () => undefined,
    });
    expect(questions).toEqual(['Is worker-3 powered off? Check the machine or its console, then type its name to confirm: ']);
    expect(result.actions[0]).toMatchObject({ status: 'aborted' });
    expect(sent).toEqual([]);
    // Before, the typed name was pushed into the caller's list; a second plan from the same options would then pass.
    expect(options.confirmNodeDown).toEqual([]);
    expect(plan(findings, graph, options, false).actions[0].status).toBe('refused');
  });
});

describe('when a fix counts as cleared', () => {
  const finding = (blocks: { namespace: string; name: string }[]) => ({
    id: 'node-down-with-volumes/worker-3', check: 'node-down-with-volumes', blocks: blocks.map((b) => ({ kind: 'Pod', ...b })),
  }) as unknown as Parameters<typeof ACTIONS['taint-out-of-service']['cleared']>[1];
  const after = (objects: unknown[]) => {
    const s = snapshotOf([node('worker-1'), node('worker-3', { ready: 'Unknown', since: ago('25m') }), lease('worker-3', ago('25m')), ...objects], NOW);
    s.source = { type: 'cluster', context: 'test' };
    return s;
  };
  let plannedWith = liveGraph([]);
  const pinnedTo = (p: ReturnType<typeof pod>, n: string) => ({ ...p, spec: { ...p.spec, nodeSelector: { 'kubernetes.io/hostname': n } } });
  const cleared = (objects: unknown[], blocks: { namespace: string; name: string }[], everyNode = true) => ACTIONS['taint-out-of-service'].cleared(after(objects), finding(blocks), 'taint-finding-that-is-gone/x', opts(), everyNode, plannedWith);

  it('does not wait for a pod that can run on no Ready node: it runs once its own node is back', () => {
    const r = cleared([pod('shop', 'web-0', { node: 'worker-1' }), pinnedTo(pod('ledger', 'ledger-0', { state: 'Unscheduled' }), 'worker-3')],
      [{ namespace: 'shop', name: 'web-0' }, { namespace: 'ledger', name: 'ledger-0' }]);
    expect(r).toEqual({ done: true, detail: 'pod shop/web-0 runs on worker-1, pod ledger/ledger-0 can run on no Ready node (node selector or affinity): it runs once its node is back' });
  });

  it('nor for a pod whose volume is local to the down node (the volume\'s node affinity)', () => {
    const local = boundVolume('ledger', 'data-ledger-0', 'pv-local-worker-3', { nodeAffinity: [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: ['worker-3'] }] }] });
    const r = cleared([...local, pod('ledger', 'ledger-0', { state: 'Unscheduled', claims: ['data-ledger-0'] })], [{ namespace: 'ledger', name: 'ledger-0' }]);
    expect(r.done).toBe(true);
    expect(cleared([...boundVolume('ledger', 'data-ledger-0', 'pv-net'), pod('ledger', 'ledger-0', { state: 'Unscheduled', claims: ['data-ledger-0'] })], [{ namespace: 'ledger', name: 'ledger-0' }]).done).toBe(false);
  });

  it('waits as before when the read after the write was targeted: it GETs only the nodes in view, so it cannot show that no Ready node would take the pod', () => {
    const pinned = pinnedTo(pod('ledger', 'ledger-0', { state: 'Unscheduled' }), 'worker-3');
    expect(cleared([pinned], [{ namespace: 'ledger', name: 'ledger-0' }], false)).toEqual({ done: false, detail: 'waiting for pod ledger/ledger-0 to run' });
  });

  it('does not wait for a pod that had no controller and is gone: nothing recreates it, and it says so', () => {
    plannedWith = liveGraph([pod('tools', 'debug', { node: 'worker-3' })]);
    try {
      expect(plannedWith.pod('tools', 'debug')!.owner).toBeUndefined();
      expect(cleared([], [{ namespace: 'tools', name: 'debug' }])).toEqual({ done: true, detail: 'pod tools/debug was deleted and nothing recreates it (it had no controller): create it again if it is still needed' });
      // A targeted re-read lists only the pods in view: its not listing the pod proves nothing.
      expect(cleared([], [{ namespace: 'tools', name: 'debug' }], false).done).toBe(false);
      // One its StatefulSet owns is recreated: waited for.
      plannedWith = liveGraph(story2());
      const owned = plannedWith.snapshot.pods.find((p) => p.owner)!;
      expect(cleared([], [{ namespace: owned.namespace, name: owned.name }]).done).toBe(false);
    } finally {
      plannedWith = liveGraph([]);
    }
  });

  it('still waits for a pod that could run on a Ready node, and for one that is gone', () => {
    expect(cleared([pod('shop', 'web-0', { state: 'Unscheduled' })], [{ namespace: 'shop', name: 'web-0' }]))
      .toEqual({ done: false, detail: 'waiting for pod shop/web-0 to run' });
    expect(cleared([pinnedTo(pod('shop', 'web-0', { state: 'Unscheduled' }), 'worker-1')], [{ namespace: 'shop', name: 'web-0' }]).done).toBe(false);
    expect(cleared([], [{ namespace: 'shop', name: 'web-0' }])).toEqual({ done: false, detail: 'waiting for pod shop/web-0 to run' });
  });
});
