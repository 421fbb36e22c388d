// Absence must be proven: a resource that was not completely read makes every conclusion from its absence unknown.
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { Graph } from '../../src/graph.js';
import { runChecks } from '../../src/checks/index.js';
import { guardsFor, plan } from '../../src/remedy/plan.js';
import { nodeReadyForGuard, noLivePodGuard } from '../../src/remedy/guards.js';
import { outOfServiceTaintLeft } from '../../src/checks/out-of-service-taint-left.js';
import { READY_TRUST_MS } from '../../src/checks/thresholds.js';
import { applyPlan, PromptClosedError } from '../../src/remedy/apply.js';
import { promptOn } from '../../src/cli/prompt.js';
import type { KubeClient } from '../../src/cluster/kube-client.js';
import type { PlanOptions } from '../../src/remedy/types.js';
import { ago, boundVolume, lease, node, NOW, pod, snapshotOf, volumeAttachment, Raw } from '../fixtures/builders.js';
import { story1 } from '../fixtures/stories.js';

const opts = (o: Partial<PlanOptions> = {}): PlanOptions => ({ confirmNodeDown: [], nodeDownForMs: 5 * 60_000, ...o });

function liveGraph(objects: Raw[], incomplete: string[] = [], now = NOW): Graph {
  const s = snapshotOf(objects, now);
  s.source = { type: 'cluster', context: 'test' };
  for (const resource of incomplete) s.incomplete.push({ resource, reason: `1 ${resource} dropped: metadata.name missing` });
  return new Graph(s);
}

const vaGuard = (graph: Graph, name: string) => {
  const va = graph.allVolumeAttachments()[0];
  return guardsFor('delete-volumeattachment', { kind: 'VolumeAttachment', name: va.name }, graph, opts()).find((g) => g.name === name);
};

describe('pods and claims not completely read', () => {
  // Story 1: worker-2 is gone (complete node LIST without it) and holds an attachment no pod uses.
  const objects = () => [node('worker-1'), ...story1()];

  it('still plans the delete when everything was read', () => {
    const graph = liveGraph(objects());
    const [a] = plan(runChecks(graph), graph, opts(), true).actions;
    expect(a).toMatchObject({ type: 'delete-volumeattachment', status: 'planned' });
  });

  for (const resource of ['pods', 'persistentvolumeclaims']) {
    it(`${resource} incomplete: "no pod uses this volume" is unknown, the delete refused`, () => {
      const graph = liveGraph(objects(), [resource]);
      expect(graph.podUsageUnknown).toBe(true);
      const [a] = plan(runChecks(graph), graph, opts(), true).actions;
      expect(a).toMatchObject({ type: 'delete-volumeattachment', status: 'refused' });
      expect(vaGuard(graph, 'no-live-pod-uses-volume')).toMatchObject({ ok: false, detail: expect.stringContaining(`${resource} could not be completely read: cannot tell whether a pod on worker-2 still uses pvc-1d2c3b4a`) });
    });
  }

  it('stale-volume-attachment says the pod usage is unknown instead of "no pod uses"', () => {
    const graph = liveGraph(objects(), ['pods']);
    const f = runChecks(graph).find((x) => x.check === 'stale-volume-attachment')!;
    expect(f.evidence).toContain('whether a pod on worker-2 uses pvc-1d2c3b4a is unknown: pods or claims could not be completely read');
    expect(f.evidence.join('\n')).not.toContain('no pod on worker-2 uses');
  });

  it('multi-attach does not say "no pod there uses it"', () => {
    const down = [node('worker-1'), node('worker-2', { ready: 'Unknown', since: ago('20m') }), lease('worker-2', ago('20m')), ...story1()];
    const complete = runChecks(liveGraph(down)).find((x) => x.check === 'multi-attach')!;
    expect(complete.summary).toContain('no pod there uses it');
    const f = runChecks(liveGraph(down, ['persistentvolumeclaims'])).find((x) => x.check === 'multi-attach')!;
    expect(f.summary).not.toContain('no pod there uses it');
    expect(f.evidence).toContain('whether a pod on worker-2 uses pvc-1d2c3b4a is unknown: pods or claims could not be completely read');
  });

  it('volume-in-use-without-pod stays quiet: an unread pod may use the volume', () => {
    const inUse = [node('worker-5', { volumesInUse: ['kubernetes.io/csi/driver.longhorn.io^pv-x'] }), ...boundVolume('a', 'c', 'pv-x')];
    expect(runChecks(liveGraph(inUse)).some((f) => f.check === 'volume-in-use-without-pod')).toBe(true);
    expect(runChecks(liveGraph(inUse, ['pods'])).some((f) => f.check === 'volume-in-use-without-pod')).toBe(false);
    expect(runChecks(liveGraph(inUse, ['persistentvolumeclaims'])).some((f) => f.check === 'volume-in-use-without-pod')).toBe(false);
  });

  it('volume-in-use-without-pod does not report an unmapped CSI volume when PVs were not completely read', () => {
    const inUse = [node('worker-5', { volumesInUse: ['kubernetes.io/csi/driver.longhorn.io^unknown-handle'] })];
    expect(runChecks(liveGraph(inUse)).some((f) => f.check === 'volume-in-use-without-pod')).toBe(true);
    expect(runChecks(liveGraph(inUse, ['persistentvolumes'])).some((f) => f.check === 'volume-in-use-without-pod')).toBe(false);
  });

  it('knows a pod uses a volume through its claim even when the PV object was not read', () => {
    const [, claim] = boundVolume('a', 'c', 'pv-a');
    const graph = liveGraph([node('worker-3'), claim, pod('a', 'p', { node: 'worker-3', claims: ['c'] })], ['persistentvolumes']);
    expect(noLivePodGuard(graph, 'worker-3', 'pv-a')).toMatchObject({ ok: false, detail: 'pod a/p on worker-3 still uses pv-a' });
  });

  it('an attachment without a PV name is never taken as unused while a live pod runs on its node', () => {
    const graph = liveGraph([node('worker-3'), pod('a', 'p', { node: 'worker-3' })]);
    expect(noLivePodGuard(graph, 'worker-3', undefined)).toMatchObject({ ok: false, detail: expect.stringContaining('names no PersistentVolume') });
    expect(noLivePodGuard(liveGraph([node('worker-3')]), 'worker-3', undefined).ok).toBe(true);
  });
});

describe('pods that were not read because of the scope', () => {
  it('a namespaced read does not vouch for a volume claimed in another namespace', () => {
    const objects = [node('worker-1'), ...boundVolume('other', 'c', 'pv-b'), volumeAttachment({ pv: 'pv-b', node: 'worker-2' })];
    const s = snapshotOf(objects, NOW, 'shop');
    s.source = { type: 'cluster', context: 'test' };
    const guard = noLivePodGuard(new Graph(s), 'worker-2', 'pv-b');
    expect(guard).toEqual({ name: 'no-live-pod-uses-volume', ok: false, detail: 'only pods of namespace shop were read: cannot tell whether a pod on worker-2 uses pv-b (run with -A)' });
    const all = snapshotOf(objects, NOW);
    expect(noLivePodGuard(new Graph(all), 'worker-2', 'pv-b').ok).toBe(true);
  });

  it('a live pod on the node whose claim was not read may be the user', () => {
    const graph = liveGraph([node('worker-1'), ...boundVolume('a', 'c', 'pv-a'), pod('b', 'x', { node: 'worker-2', claims: ['unread'] })]);
    expect(noLivePodGuard(graph, 'worker-2', 'pv-a')).toEqual({ name: 'no-live-pod-uses-volume', ok: false, detail: 'pod b/x on worker-2 uses claim unread, whose volume is not known: it may use pv-a' });
  });
});

describe('nodes not completely read', () => {
  it('a node dropped as malformed is unknown, not deleted: the delete is refused', () => {
    const graph = liveGraph([node('worker-1'), ...story1()], ['nodes']);
    expect(graph.nodeHealth('worker-2')).toMatchObject({ exists: false, unknown: true });
    expect(runChecks(graph).some((f) => f.check === 'stale-volume-attachment')).toBe(false);
    for (const a of plan(runChecks(graph), graph, opts(), true).actions) expect(a.status).toBe('refused');
  });

  it('a missing Lease among Leases not completely read says so', () => {
    const graph = liveGraph([node('worker-3', { ready: 'Unknown', since: ago('20m') })], ['leases']);
    expect(graph.nodeHealth('worker-3').describe).toContain('Lease unknown (Leases could not be read)');
  });
});

describe('out-of-service taint left: one threshold for diagnose and fix (item 22)', () => {
  const taint = { key: 'node.kubernetes.io/out-of-service', value: 'nodeshutdown', effect: 'NoExecute', timeAdded: ago('2h') };
  const back = (since: string) => liveGraph([node('worker-4', { since: ago(since), taints: [taint] })]);
  const at = new Date(Date.parse(NOW) - 13_000 + READY_TRUST_MS).toISOString().replace(/\.000Z$/, 'Z');

  it('just back: the finding says when fix will accept it, and fix refuses until then', () => {
    const graph = back('13s');
    const [f] = outOfServiceTaintLeft.run(graph);
    expect(f.summary).toBe(`Node worker-4 has been Ready for 13s but still carries the out-of-service taint; fix can remove it from ${at}`);
    expect(f.evidence).toContain(`fix accepts removing the taint once the node has been Ready for 5m, at ${at} (--node-ready-for 5m)`);
    expect(f.remedies[0]).toMatch(/^Once the node has been Ready for 5m \(at .*\), remove the taint: kubectl taint node worker-4 node\.kubernetes\.io\/out-of-service-/);
    expect(nodeReadyForGuard(graph, 'worker-4', READY_TRUST_MS)).toEqual({ name: 'node-ready', ok: false, detail: `node worker-4 Ready for 13s, less than --node-ready-for 5m (fix accepts it from ${at})` });
    expect(nodeReadyForGuard(graph, 'worker-4', READY_TRUST_MS).detail).not.toContain('--node-down-for');
  });

  it('diagnose\'s advice and fix\'s acceptance flip at the same moment', () => {
    for (const [since, trusted] of [['4m59s', false], ['5m', true]] as const) {
      const graph = back(since);
      const [f] = outOfServiceTaintLeft.run(graph);
      const [a] = plan([f], graph, opts(), true).actions;
      expect(f.remedies[0].startsWith('Remove the taint:')).toBe(trusted);
      expect(a.status).toBe(trusted ? 'planned' : 'refused');
    }
  });

  it('the node-ready threshold is its own option, not --node-down-for', () => {
    const graph = back('2m');
    const [f] = outOfServiceTaintLeft.run(graph);
    expect(plan([f], graph, opts({ nodeDownForMs: 60_000 }), true).actions[0].status).toBe('refused');
    expect(plan([f], graph, opts({ nodeReadyForMs: 60_000 }), true).actions[0].status).toBe('planned');
  });

  it('a Ready condition without a transition time is never trusted', () => {
    const n = node('worker-4', { taints: [taint] });
    delete n.status.conditions[0].lastTransitionTime;
    const graph = liveGraph([n]);
    expect(nodeReadyForGuard(graph, 'worker-4', READY_TRUST_MS)).toMatchObject({ ok: false, detail: expect.stringContaining('no transition time') });
    expect(outOfServiceTaintLeft.run(graph)[0].remedies[0]).toContain('remove the taint by hand');
  });
});

describe('the fix prompt closed with Ctrl+C or Ctrl+D (item 14)', () => {
  it('rejects with PromptClosedError when the input ends', async () => {
    const input = new PassThrough();
    const output = new PassThrough();
    const ask = promptOn(input, output);
    const answer = ask('Apply? [y/N] ');
    input.end();
    await expect(answer).rejects.toBeInstanceOf(PromptClosedError);
  });

  it('reads an answer as before', async () => {
    const input = new PassThrough();
    const ask = promptOn(input, new PassThrough());
    const answer = ask('Apply? [y/N] ');
    input.write(' y \n');
    await expect(answer).resolves.toBe('y');
  });

  it('a closed prompt declines this action and every later one, sending nothing', async () => {
    const taint = { key: 'node.kubernetes.io/out-of-service', value: 'nodeshutdown', effect: 'NoExecute' };
    const graph = liveGraph([node('worker-4', { since: ago('1h'), taints: [taint] }), node('worker-5', { since: ago('1h'), taints: [taint] })]);
    const findings = runChecks(graph);
    const planned = plan(findings, graph, opts(), false);
    expect(planned.actions.map((a) => a.status)).toEqual(['planned', 'planned']);
    const sent: string[] = [];
    const client = { request: async (path: string) => { sent.push(path); return {}; }, get: async () => undefined, list: async () => undefined } as unknown as KubeClient;
    let asked = 0;
    const lines: string[] = [];
    const result = await applyPlan(planned, {
      client, options: opts(), graph, findings, serverDryRun: false, yes: false, timeoutMs: 1000, scope: {},
      ask: async () => { asked++; throw new PromptClosedError(); },
      log: (l) => lines.push(l),
    });
    expect(asked).toBe(1);
    expect(sent).toEqual([]);
    expect(result.actions.map((a) => a.status)).toEqual(['declined', 'declined']);
    expect(result.actions[0].message).toBe('declined: the prompt was closed (Ctrl+C or Ctrl+D); nothing written');
    expect(result.actions[1].message).toBe('not asked: the prompt was closed; nothing written');
  });
});
