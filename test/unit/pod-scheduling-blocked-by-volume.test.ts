import { describe, expect, it } from 'vitest';
import { runChecks } from '../../src/checks/index.js';
import { podSchedulingBlockedByVolume as check, volumeReasons } from '../../src/checks/pod-scheduling-blocked-by-volume.js';
import { Graph } from '../../src/graph.js';
import type { Finding } from '../../src/model/finding.js';
import {
  ago, boundVolume, csiDriver, csiNode, DRIVER, lease, node, pod, podEvent, pv, Raw, snapshotOf, storageClass, volumeAttachment,
} from '../fixtures/builders.js';
import { runCheck } from '../fixtures/run.js';
import { pendingClaim, REALWORLD, realWorldDump, unscheduledPod } from '../fixtures/waiting.js';

const ZONE = 'topology.kubernetes.io/zone';
const PREEMPTION = (n: number) => ` preemption: 0/${n} nodes are available: ${n} Preemption is not helpful for scheduling.`;
const AFFINITY_133 = `0/2 nodes are available: 2 node(s) didn't match PersistentVolume's node affinity.${PREEMPTION(2)}`;
const POD = { kind: 'Pod', namespace: 'shop', name: 'db-0' };

const zoned = (name: string, zone: string, o: Parameters<typeof node>[1] = {}) => [node(name, { ...o, labels: { [ZONE]: zone } }), lease(name, ago('5s')), csiNode(name)];
const inZone = (zone: string) => [{ matchExpressions: [{ key: ZONE, operator: 'In', values: [zone] }] }];

/** A pod the scheduler could not place for `created`, its message in the PodScheduled condition and a FailedScheduling event. */
function blocked(message: string, o: { claims?: string[]; created?: string; event?: boolean; condition?: boolean } = {}): Raw[] {
  const created = o.created ?? ago('40m');
  const p = unscheduledPod('shop', 'db-0', { claims: o.claims ?? ['data'], created, message: o.condition === false ? undefined : message });
  return [p, ...(o.event === false ? [] : [podEvent(p, { reason: 'FailedScheduling', message, count: 20, first: created, last: ago('1m'), component: 'default-scheduler' })])];
}

const run = (objects: Raw[]) => runCheck(check, objects);
const only = (objects: Raw[]): Finding => {
  const findings = run(objects);
  expect(findings, JSON.stringify(findings.map((f) => f.summary))).toHaveLength(1);
  return findings[0];
};
const text = (f: Finding) => [f.summary, ...f.evidence, ...f.remedies].join('\n');

describe('the scheduler message', () => {
  it('finds the volume reasons in the aggregation, with their node counts, and ignores the preemption part', () => {
    expect(volumeReasons('0/5 nodes are available: 2 node(s) had volume node affinity conflict, 3 Insufficient cpu. preemption: 0/5 nodes are available: 5 Preemption is not helpful for scheduling.'))
      .toEqual({ total: 5, reasons: [{ kind: 'node-affinity', text: 'node(s) had volume node affinity conflict', nodes: 2 }] });
    expect(volumeReasons(AFFINITY_133).reasons).toEqual([{ kind: 'node-affinity', text: "node(s) didn't match PersistentVolume's node affinity", nodes: 2 }]);
    expect(volumeReasons('0/1 nodes are available: pod has unbound immediate PersistentVolumeClaims. preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling..').reasons)
      .toEqual([{ kind: 'unbound-immediate', text: 'pod has unbound immediate PersistentVolumeClaims' }]);
    expect(volumeReasons('0/4 nodes are available: 1 node(s) exceed max volume count, 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }, 2 node(s) didn\'t find available persistent volumes to bind.').reasons.map((r) => [r.kind, r.nodes]))
      .toEqual([['attach-limit', 1], ['no-pv', 2]]);
    expect(volumeReasons('0/3 nodes are available: persistentvolumeclaim "data" not found.').reasons.map((r) => r.kind)).toEqual(['claim']);
  });

  it('finds none in a message about cpu or taints, or where only the preemption part mentions volumes', () => {
    expect(volumeReasons(`0/3 nodes are available: 1 Insufficient cpu, 2 node(s) had untolerated taint {dedicated: db}.${PREEMPTION(3)}`).reasons).toEqual([]);
    expect(volumeReasons('0/3 nodes are available: 3 Insufficient memory. preemption: 0/3 nodes are available: 3 node(s) had volume node affinity conflict.').reasons).toEqual([]);
  });

  it('finds none in Dynamic Resource Allocation\'s claims, which are devices, not volumes', () => {
    expect(volumeReasons('0/3 nodes are available: 3 cannot allocate all claims. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.').reasons).toEqual([]);
    expect(volumeReasons('0/3 nodes are available: resourceclaim "gpu-claim" not found.').reasons).toEqual([]);
    expect(volumeReasons('0/3 nodes are available: persistentvolumeclaim "data" not found.').reasons).toHaveLength(1);
  });
});

describe('pod-scheduling-blocked-by-volume: volume node affinity conflict', () => {
  it('fires, naming the mismatch between the volume\'s zone and the nodes\' zones, quoting the scheduler (1.33 wording)', () => {
    const f = only([...zoned('worker-1', 'zone-a'), ...zoned('worker-2', 'zone-c'), ...boundVolume('shop', 'data', 'pv-x', { nodeAffinity: inZone('zone-b') }), ...blocked(AFFINITY_133)]);
    expect(f.severity).toBe('critical');
    expect(f.subject).toEqual(POD);
    expect(f.related).toEqual(expect.arrayContaining([{ kind: 'PersistentVolumeClaim', namespace: 'shop', name: 'data' }, { kind: 'PersistentVolume', name: 'pv-x' }]));
    expect(f.summary).toContain('Pod shop/db-0 has not been scheduled for 40m');
    expect(f.summary).toContain(`pv-x can only be used on nodes with ${ZONE}=zone-b; nodes have ${ZONE}=zone-a (worker-1), zone-c (worker-2)`);
    expect(f.evidence).toContain(`condition PodScheduled=False (Unschedulable, since ${ago('40m')}): ${AFFINITY_133}`);
    expect(f.evidence.some((e) => e.startsWith('event FailedScheduling (Warning, x20') && e.endsWith(AFFINITY_133))).toBe(true);
    expect(f.evidence.join('\n')).toContain('2 of 2 node(s)');
    expect(f.remedies.join('\n')).toContain(`kubectl get nodes -L ${ZONE}`);
    expect(f.remedies.join('\n')).toMatch(/Never remove or rewrite a PersistentVolume's nodeAffinity/);
    expect(f.blocks).toEqual([POD]);
  });

  it('leads with a volume no node can reach, even when the scheduler counts another reason first', () => {
    const message = "0/2 nodes are available: 1 node(s) exceed max volume count, 1 node(s) didn't match PersistentVolume's node affinity.";
    const f = only([...zoned('worker-1', 'zone-a'), ...zoned('worker-2', 'zone-c'), ...boundVolume('shop', 'data', 'pv-x', { nodeAffinity: inZone('zone-z') }), ...blocked(message)]);
    expect(f.summary).toMatch(/^Pod shop\/db-0 has not been scheduled for 40m: volume node affinity conflict: pv-x can only be used on nodes with/);
    expect(f.summary).toContain('; attach limit reached');
  });

  it('reads the older wording from the event alone, and names the one fitting node as cordoned', () => {
    const message = '0/3 nodes are available: 2 node(s) had volume node affinity conflict, 1 node(s) were unschedulable.';
    const cordoned = node('worker-3', { labels: { [ZONE]: 'zone-b' } });
    cordoned.spec.unschedulable = true;
    const f = only([...zoned('worker-1', 'zone-a'), ...zoned('worker-2', 'zone-a'), cordoned, ...boundVolume('shop', 'data', 'pv-x', { nodeAffinity: inZone('zone-b') }), ...blocked(message, { condition: false })]);
    expect(f.summary).toContain('only worker-3 (cordoned) can reach pv-x, and the scheduler cannot use it');
    expect(f.related).toContainEqual({ kind: 'Node', name: 'worker-3' });
    expect(f.remedies.join('\n')).toContain('kubectl uncordon worker-3');
  });

  it('names a fitting node that is NotReady, with its taint, and asks to bring it back', () => {
    const message = '0/2 nodes are available: 1 node(s) had untolerated taint {node.kubernetes.io/unreachable: }, 1 node(s) had volume node affinity conflict.';
    const f = only([...zoned('worker-1', 'zone-a'), ...zoned('worker-2', 'zone-b', { ready: 'Unknown', since: ago('30m') }), ...boundVolume('shop', 'data', 'pv-x', { nodeAffinity: inZone('zone-b') }), ...blocked(message)]);
    expect(f.summary).toContain('only worker-2 (NotReady (Unknown), tainted node.kubernetes.io/unreachable:NoSchedule, node.kubernetes.io/unreachable:NoExecute) can reach pv-x');
    expect(f.remedies[0]).toBe('Bring worker-2 back to Ready (kubectl describe node worker-2); the pod can only run where its volume is.');
  });

  it('says when a fitting node looks usable, so the rest of the message holds the answer', () => {
    const message = '0/2 nodes are available: 1 Insufficient memory, 1 node(s) had volume node affinity conflict.';
    const f = only([...zoned('worker-1', 'zone-a'), ...zoned('worker-2', 'zone-b'), ...boundVolume('shop', 'data', 'pv-x', { nodeAffinity: inZone('zone-b') }), ...blocked(message)]);
    expect(f.summary).toContain('worker-2 can reach pv-x and look usable now');
  });

  it('says when no node can reach all of the pod\'s volumes at once', () => {
    const p = blocked(AFFINITY_133, { claims: ['data', 'logs'] });
    const f = only([...zoned('worker-1', 'zone-a'), ...zoned('worker-2', 'zone-b'),
      ...boundVolume('shop', 'data', 'pv-x', { nodeAffinity: inZone('zone-a') }), ...boundVolume('shop', 'logs', 'pv-y', { nodeAffinity: inZone('zone-b') }), ...p]);
    expect(f.summary).toContain('no node can reach all of the pod\'s volumes at once: pv-x only on worker-1, pv-y only on worker-2');
  });

  it('says the state does not show it when the volume has no node affinity in what was read', () => {
    const f = only([...zoned('worker-1', 'zone-a'), ...boundVolume('shop', 'data', 'pv-x'), ...blocked(AFFINITY_133)]);
    expect(f.summary).toContain('the scheduler found no node that can reach the pod\'s volumes, but pv-x has no node affinity in what was read');
    expect(f.remedies.join('\n')).toContain("kubectl get pv pv-x -o jsonpath='{.spec.nodeAffinity}'");
  });
});

describe('pod-scheduling-blocked-by-volume: attach limits', () => {
  it('names the nodes at their limit and the driver, counting as the scheduler does', () => {
    const objects: Raw[] = [
      node('worker-1'), node('worker-2'), csiNode('worker-1', [DRIVER], { [DRIVER]: 2 }), csiNode('worker-2', [DRIVER], { [DRIVER]: 1 }), csiDriver(DRIVER),
      // worker-1: two running pods with one volume each; a finished pod's volume is not counted.
      ...boundVolume('shop', 'a', 'pv-a'), pod('shop', 'app-a', { node: 'worker-1', claims: ['a'] }),
      ...boundVolume('shop', 'b', 'pv-b'), pod('shop', 'app-b', { node: 'worker-1', claims: ['b'] }),
      ...boundVolume('shop', 'c', 'pv-c'),
      // worker-2: an attachment no pod uses still takes the only slot.
      ...boundVolume('shop', 'old', 'pv-old'), volumeAttachment({ pv: 'pv-old', node: 'worker-2' }),
      ...boundVolume('shop', 'data', 'pv-x'), ...blocked(`0/2 nodes are available: 2 node(s) exceed max volume count.${PREEMPTION(2)}`),
    ];
    const done = pod('shop', 'job-c', { node: 'worker-1', claims: ['c'] });
    done.status.phase = 'Succeeded';
    const f = only([...objects, done]);
    expect(f.summary).toContain(`worker-1, worker-2 are at their ${DRIVER} attach limit (worker-1 2/2, worker-2 1/1)`);
    expect(f.evidence).toContain(`node worker-1: 2 of 2 ${DRIVER} volumes in use (CSINode allocatable.count 2); this pod adds 1`);
    expect(f.evidence).toContain(`node worker-2: 1 of 1 ${DRIVER} volumes in use (CSINode allocatable.count 1), 1 of them only by a VolumeAttachment no pod there uses; this pod adds 1`);
    expect(f.related).toEqual(expect.arrayContaining([{ kind: 'Node', name: 'worker-1' }, { kind: 'Node', name: 'worker-2' }]));
    expect(f.remedies.join('\n')).toMatch(/Never raise a CSINode's allocatable.count/);
  });

  it('does not name a node whose limit the pod\'s volume fits under', () => {
    const f = only([node('worker-1'), csiNode('worker-1', [DRIVER], { [DRIVER]: 5 }), ...boundVolume('shop', 'data', 'pv-x'), ...blocked('0/1 nodes are available: 1 node(s) exceed max volume count.')]);
    expect(f.summary).toContain(`no node is at its ${DRIVER} attach limit in what was read`);
    expect(f.related).not.toContainEqual({ kind: 'Node', name: 'worker-1' });
  });
});

describe('pod-scheduling-blocked-by-volume: claims and volumes to bind', () => {
  const UNBOUND = `0/1 nodes are available: pod has unbound immediate PersistentVolumeClaims.${PREEMPTION(1)}`;

  it('points an unbound immediate claim at its pvc-pending finding, without repeating its diagnosis', () => {
    const objects = [...zoned('worker-1', 'zone-a'), storageClass('longhorn'), pendingClaim('shop', 'data', ago('40m')), ...blocked(UNBOUND)];
    const findings = runChecks(new Graph(snapshotOf(objects)));
    const f = findings.find((x) => x.check === check.id)!;
    expect(f.summary).toContain('unbound immediate claims: claim data is Pending: see the pvc-pending finding for claim shop/data');
    expect(f.related).toContainEqual({ kind: 'PersistentVolumeClaim', namespace: 'shop', name: 'data' });
    expect(findings.some((x) => x.check === 'pvc-pending' && x.subject.name === 'data')).toBe(true);
    expect(findings.filter((x) => x.check === 'volume-wait-unexplained')).toEqual([]);
  });

  it('lists the Available volumes of the claim\'s class and why none fits', () => {
    const claim = pendingClaim('shop', 'data', ago('40m'));
    claim.spec.storageClassName = 'local-storage';
    claim.spec.resources.requests.storage = '20Gi';
    const f = only([
      node('worker-1'), node('worker-2'),
      pv('pv-small', { storageClassName: 'local-storage', capacity: '10Gi', nodeAffinity: [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: ['worker-1'] }] }] }),
      pv('pv-gone', { storageClassName: 'local-storage', capacity: '50Gi', nodeAffinity: [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: ['worker-9'] }] }] }),
      pv('pv-other', { storageClassName: 'fast', capacity: '50Gi' }),
      claim, ...blocked('0/2 nodes are available: 2 node(s) didn\'t find available persistent volumes to bind.'),
    ]);
    expect(f.summary).toContain('none of the 2 Available PersistentVolume(s) of class "local-storage" fits claim data');
    expect(f.evidence.find((e) => e.startsWith('persistentvolume pv-small'))).toContain('too small (10Gi < 20Gi requested)');
    expect(f.evidence.find((e) => e.startsWith('persistentvolume pv-gone'))).toContain('only on nodes with kubernetes.io/hostname=worker-9, and no node has that');
    expect(f.evidence.join('\n')).not.toContain('pv-other');
    expect(f.remedies.join('\n')).toMatch(/Never create a PersistentVolume that points at a disk/);
  });

  it('names the pod that holds a ReadWriteOncePod claim', () => {
    const [v, c] = boundVolume('shop', 'data', 'pv-x', { accessModes: ['ReadWriteOncePod'] });
    const holder = pod('shop', 'db-old', { node: 'worker-1', claims: ['data'] });
    const f = only([node('worker-1'), node('worker-2'), v, c, holder,
      ...blocked('0/2 nodes are available: 2 node has pod using PersistentVolumeClaim with the same name and ReadWriteOncePod access mode. preemption: 0/2 nodes are available: 2 No preemption victims found for incoming pod.')]);
    expect(f.summary).toContain('claim data is ReadWriteOncePod and pod shop/db-old (Running on worker-1) holds it');
    expect(f.related).toContainEqual({ kind: 'Pod', namespace: 'shop', name: 'db-old' });
    expect(f.remedies.join('\n')).toContain('strategy Recreate');
  });

  it('quotes and names a volume reason it has no diagnosis for, and not enough free storage', () => {
    const odd = only([node('worker-1'), ...boundVolume('shop', 'data', 'pv-x'), ...blocked('0/1 nodes are available: 1 node(s) had a volume the plugin could not count.')]);
    expect(odd.summary).toContain('the scheduler names a volume reason volume-doctor has no specific diagnosis for: "node(s) had a volume the plugin could not count"');
    const claim = pendingClaim('shop', 'data', ago('40m'));
    const full = only([node('worker-1'), claim, ...blocked('0/1 nodes are available: 1 node(s) did not have enough free storage.')]);
    expect(full.summary).toContain('not enough free storage: the storage driver reports too little free capacity near the nodes for claim data (10Gi of class longhorn)');
    expect(full.remedies.join('\n')).toContain('kubectl get csistoragecapacities -A');
  });
});

describe('pod-scheduling-blocked-by-volume: severity and near misses', () => {
  const world = (created: string) => [...zoned('worker-1', 'zone-a'), ...boundVolume('shop', 'data', 'pv-x', { nodeAffinity: inZone('zone-b') }), ...blocked(AFFINITY_133, { created: ago(created) })];

  it('is a warning past the grace and critical past 15 minutes', () => {
    expect(only(world('5m')).severity).toBe('warning');
    expect(only(world('16m')).severity).toBe('critical');
  });

  it('stays quiet within the grace', () => {
    expect(run(world('30s'))).toEqual([]);
  });

  it('stays quiet for a pod scheduled since, whatever old FailedScheduling events say', () => {
    const p = pod('shop', 'db-0', { node: 'worker-1', claims: ['data'], created: ago('40m'), scheduled: ago('20m') });
    expect(run([...zoned('worker-1', 'zone-b'), ...boundVolume('shop', 'data', 'pv-x', { nodeAffinity: inZone('zone-b') }), p,
      podEvent(p, { reason: 'FailedScheduling', message: AFFINITY_133, first: ago('40m'), last: ago('21m'), component: 'default-scheduler' })])).toEqual([]);
  });

  it('stays quiet for a scheduler message with no volume reason', () => {
    expect(run([...zoned('worker-1', 'zone-a'), ...boundVolume('shop', 'data', 'pv-x'), ...blocked(`0/1 nodes are available: 1 Insufficient cpu.${PREEMPTION(1)}`)])).toEqual([]);
  });

  it('trusts the condition (the present) over an older event that named volumes', () => {
    const p = unscheduledPod('shop', 'db-0', { claims: ['data'], created: ago('40m'), message: '0/1 nodes are available: 1 Insufficient cpu.' });
    expect(run([...zoned('worker-1', 'zone-a'), ...boundVolume('shop', 'data', 'pv-x'), p,
      podEvent(p, { reason: 'FailedScheduling', message: AFFINITY_133, first: ago('40m'), last: ago('30m'), component: 'default-scheduler' })])).toEqual([]);
  });

  it('ignores the event of an earlier pod of the same name, and a pod held by a scheduling gate', () => {
    const [p, e] = blocked(AFFINITY_133, { condition: false });
    e.involvedObject.uid = 'an-earlier-pod';
    expect(run([...zoned('worker-1', 'zone-a'), ...boundVolume('shop', 'data', 'pv-x'), p, e])).toEqual([]);
    const [gated, ge] = blocked(AFFINITY_133);
    gated.status.conditions[0].reason = 'SchedulingGated';
    expect(run([...zoned('worker-1', 'zone-a'), ...boundVolume('shop', 'data', 'pv-x'), gated, ge])).toEqual([]);
  });

  it('keeps the fallback quiet for the pod it names', () => {
    const findings = runChecks(new Graph(snapshotOf(world('40m'))));
    expect(findings.filter((f) => f.check === 'volume-wait-unexplained')).toEqual([]);
    expect(findings.filter((f) => f.check === check.id)).toHaveLength(1);
  });
});

describe('pvc-pending with WaitForFirstConsumer', () => {
  it('points at this finding when the scheduler gives a volume reason for the pod', () => {
    const sc = storageClass('local');
    sc.volumeBindingMode = 'WaitForFirstConsumer';
    const claim = pendingClaim('shop', 'data', ago('40m'));
    claim.spec.storageClassName = 'local';
    const objects = [node('worker-1'), sc, claim, ...blocked('0/1 nodes are available: 1 node(s) didn\'t find available persistent volumes to bind.')];
    const pending = runChecks(new Graph(snapshotOf(objects))).find((f) => f.check === 'pvc-pending')!;
    expect(pending.remedies).toEqual(['The scheduler gives a volume reason for pod shop/db-0: see the pod-scheduling-blocked-by-volume finding for pod shop/db-0.']);
  });
});

describe('real-world scheduling messages', () => {
  const scheduling = REALWORLD.filter((m) => m.family === 'scheduling');

  it('covers the scheduling family', () => {
    expect(scheduling.length).toBeGreaterThanOrEqual(3);
  });

  for (const m of scheduling) {
    it(`gets this check's finding, not the fallback's: ${m.message.slice(0, 70)}`, () => {
      const dump = realWorldDump(m);
      const findings = runChecks(new Graph(snapshotOf(dump.objects)));
      const mine = findings.filter((f) => f.check === check.id);
      expect(mine, JSON.stringify(findings.map((f) => [f.check, f.summary]))).toHaveLength(1);
      expect(mine[0].subject).toEqual(dump.waiting);
      expect(mine[0].severity).toBe('critical');
      expect(text(mine[0])).toContain(m.message);
      expect(findings.filter((f) => f.check === 'volume-wait-unexplained')).toEqual([]);
    });
  }
});
