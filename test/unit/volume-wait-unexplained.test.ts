import { describe, expect, it } from 'vitest';
import { CHECKS, runChecks } from '../../src/checks/index.js';
import { volumeWaitUnexplained as check } from '../../src/checks/volume-wait-unexplained.js';
import { Graph } from '../../src/graph.js';
import { ago, boundVolume, csiDriver, DRIVER, pod, podEvent, Raw, snapshotOf, volumeAttachment } from '../fixtures/builders.js';
import { runCheck } from '../fixtures/run.js';
import { healthyNode, pendingClaim, podWaitingWith, pvcEvent, resizingClaim, unscheduledPod } from '../fixtures/waiting.js';

const ATTACH = 'AttachVolume.Attach failed for volume "pv-a" : rpc error: code = DeadlineExceeded desc = context deadline exceeded';
const AFFINITY = '0/3 nodes are available: 3 node(s) had volume node affinity conflict. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.';

/** All checks, as the engine runs them. */
const all = (objects: Raw[]) => runChecks(new Graph(snapshotOf(objects)));
const fallback = (objects: Raw[]) => all(objects).filter((f) => f.check === check.id);
/** The engine without attach-error, which explains attach errors found only in events: what the fallback says when no check does. */
const fallbackAlone = (objects: Raw[]) => runChecks(new Graph(snapshotOf(objects)), CHECKS.filter((c) => c.id !== 'attach-error')).filter((f) => f.check === check.id);
/** The engine without pvc-expansion-stuck, which explains stuck resizes: what the fallback says of a claim no check explains. */
const fallbackNoResize = (objects: Raw[]) => runChecks(new Graph(snapshotOf(objects)), CHECKS.filter((c) => c.id !== 'pvc-expansion-stuck')).filter((f) => f.check === check.id);

function attaching(created = '40m') {
  const p = pod('shop', 'web-0', { node: 'worker-1', claims: ['data'], state: 'ContainerCreating', created: ago(created) });
  return {
    p,
    objects: [...healthyNode(), csiDriver(DRIVER), ...boundVolume('shop', 'data', 'pv-a'), p,
      volumeAttachment({ pv: 'pv-a', node: 'worker-1', attached: false, created: ago(created) }),
      podEvent(p, { reason: 'FailedAttachVolume', message: ATTACH, count: 14, first: ago('35m'), last: ago('1m') })],
  };
}

describe('volume-wait-unexplained', () => {
  it('fires for a pod ContainerCreating for 40 minutes with attach warnings no other check explains, quoting the newest', () => {
    const [f, ...rest] = fallbackAlone(attaching().objects);
    expect(rest).toEqual([]);
    expect(f.severity).toBe('critical');
    expect(f.subject).toEqual({ kind: 'Pod', namespace: 'shop', name: 'web-0' });
    expect(f.related).toContainEqual({ kind: 'PersistentVolumeClaim', namespace: 'shop', name: 'data' });
    expect(f.summary).toContain('ContainerCreating on worker-1 for 40m');
    expect(f.summary).toContain(ATTACH);
    const evidence = f.evidence.join('\n');
    expect(evidence).toContain('x14');
    const healthy = f.evidence.find((e) => e.startsWith('checked and found healthy: '))!;
    for (const fact of ['node worker-1 Ready', 'claim data Bound to pv-a', 'no VolumeAttachment error for pv-a', 'CSI driver driver.longhorn.io registered on worker-1', 'pv-a not attached to another node']) {
      expect(healthy).toContain(fact);
    }
    expect(evidence).toContain('checked and found not healthy: pv-a not attached to worker-1 yet');
    const remedies = f.remedies.join('\n');
    expect(remedies).toContain('kubectl describe pod web-0 -n shop');
    expect(remedies).toContain('kubectl get events -n shop --field-selector involvedObject.kind=Pod,involvedObject.name=web-0');
    expect(remedies).toContain('kubectl get volumeattachments');
    expect(f.blocks).toEqual([{ kind: 'Pod', namespace: 'shop', name: 'web-0' }]);
  });

  it('is a warning while the wait is short, critical past 15 minutes', () => {
    expect(fallbackAlone(attaching('5m').objects)[0].severity).toBe('warning');
    expect(fallbackAlone(attaching('16m').objects)[0].severity).toBe('critical');
  });

  it('stays quiet when a specific check explains the pod (attach-error reads the same events)', () => {
    const findings = all(attaching().objects);
    expect(findings.filter((f) => f.check === check.id)).toEqual([]);
    expect(findings.find((f) => f.check === 'attach-error')).toMatchObject({ severity: 'critical', subject: { kind: 'Pod', namespace: 'shop', name: 'web-0' } });
  });

  it('quotes the scheduler from the PodScheduled condition when there is no event (as a live run reads it)', () => {
    const p = unscheduledPod('shop', 'db-0', { claims: ['data'], created: ago('40m'), message: AFFINITY });
    const objects = [...healthyNode(), ...boundVolume('shop', 'data', 'pv-a'), p];
    // pod-scheduling-blocked-by-volume explains this message; without it, the fallback must.
    expect(fallback(objects)).toEqual([]);
    const [f] = runChecks(new Graph(snapshotOf(objects)), CHECKS.filter((c) => c.id !== 'pod-scheduling-blocked-by-volume')).filter((x) => x.check === check.id);
    expect(f.summary).toContain('Pending, not scheduled for 40m');
    expect(f.summary).toContain(AFFINITY);
    expect(f.evidence.join('\n')).toContain(`condition PodScheduled=False (Unschedulable, since ${ago('40m')}): ${AFFINITY}`);
    expect(f.remedies.join('\n')).toContain("kubectl get pv pv-a -o jsonpath='{.spec.nodeAffinity}'");
  });

  it('names a claim whose resize has failed for 40 minutes, and the pod using it', () => {
    const [v, c] = resizingClaim('shop', 'data', 'pv-a', { conditions: [{ type: 'Resizing', since: ago('40m') }] });
    const message = 'resize volume pv-a failed: rpc error: code = FailedPrecondition desc = Only offline volume expansion is supported';
    const user = pod('shop', 'web-0', { node: 'worker-1', claims: ['data'], created: ago('3h') });
    const objects = [...healthyNode(), v, c, user, volumeAttachment({ pv: 'pv-a', node: 'worker-1' }), pvcEvent(c, { reason: 'VolumeResizeFailed', message, count: 9, first: ago('39m') })];
    // pvc-expansion-stuck explains it, so the engine's fallback stays quiet; without that check the fallback names it.
    expect(fallback(objects)).toEqual([]);
    const [f] = fallbackNoResize(objects);
    expect(f.subject).toEqual({ kind: 'PersistentVolumeClaim', namespace: 'shop', name: 'data' });
    expect(f.severity).toBe('critical');
    expect(f.summary).toContain('resizing from 10Gi to 12Gi for 40m');
    expect(f.summary).toContain(message);
    expect(f.related).toContainEqual({ kind: 'Pod', namespace: 'shop', name: 'web-0' });
    expect(f.remedies.join('\n')).toContain('kubectl describe pvc data -n shop');
  });

  it('keeps a resize that only waits for a pod (FileSystemResizePending, nothing failing, nobody waiting) at warning', () => {
    const [v, c] = resizingClaim('shop', 'data', 'pv-a', { conditions: [{ type: 'FileSystemResizePending', since: ago('2h'), message: 'Waiting for user to (re-)start a pod to finish file system resize of volume on node.' }] });
    const [f] = fallbackNoResize([...healthyNode(), v, c]);
    expect(f.severity).toBe('warning');
    expect(f.summary).toContain('Waiting for user to (re-)start a pod');
  });

  it('names a claim Pending with ProvisioningFailed only when no other check does', () => {
    const c = pendingClaim('shop', 'data', ago('30m'));
    const objects = [...healthyNode(), c, pvcEvent(c, { reason: 'ProvisioningFailed', message: 'no space left in pool', component: 'csi-provisioner' })];
    const findings = all(objects);
    expect(findings.some((f) => f.check === 'pvc-pending' && f.subject.name === 'data')).toBe(true);
    expect(findings.filter((f) => f.check === check.id)).toEqual([]);
    // Alone, without the other checks, the fallback would name it: the engine is what keeps it quiet.
    expect(runCheck(check, objects)[0].subject).toEqual({ kind: 'PersistentVolumeClaim', namespace: 'shop', name: 'data' });
  });

  it('stays quiet when a specific check already names the pod at warning or above', () => {
    const p = pod('shop', 'web-0', { node: 'worker-1', claims: ['data'], state: 'ContainerCreating', created: ago('40m') });
    const objects = [...healthyNode(), ...boundVolume('shop', 'data', 'pv-a'), p, volumeAttachment({ pv: 'pv-a', node: 'worker-1' }),
      podEvent(p, { reason: 'FailedMount', message: 'MountVolume.MountDevice failed for volume "pv-a" : rpc error: code = Internal desc = format of disk failed' })];
    const findings = all(objects);
    expect(findings.some((f) => f.check === 'mount-failure')).toBe(true);
    expect(findings.filter((f) => f.check === check.id)).toEqual([]);
  });

  describe('stays quiet for', () => {
    const base = () => [...healthyNode(), csiDriver(DRIVER), ...boundVolume('shop', 'data', 'pv-a')];
    it('a pod that started after old warnings', () => {
      const p = pod('shop', 'web-0', { node: 'worker-1', claims: ['data'], created: ago('40m') });
      expect(fallback([...base(), p, podEvent(p, { reason: 'FailedAttachVolume', message: ATTACH, last: ago('30m') })])).toEqual([]);
    });
    it('a pod within the grace', () => {
      const p = pod('shop', 'web-0', { node: 'worker-1', claims: ['data'], state: 'ContainerCreating', created: ago('40s') });
      expect(fallback([...base(), p, podEvent(p, { reason: 'FailedAttachVolume', message: ATTACH, last: ago('10s') })])).toEqual([]);
    });
    it('events of an earlier pod with the same name (another UID)', () => {
      const p = pod('shop', 'web-0', { node: 'worker-1', claims: ['data'], state: 'ContainerCreating', created: ago('10m') });
      const old = podEvent(p, { reason: 'FailedAttachVolume', message: ATTACH, last: ago('5m') });
      old.involvedObject.uid = '11111111-2222-4333-8444-555555555555';
      expect(fallback([...base(), p, old])).toEqual([]);
    });
    it('events last seen before the pod was created', () => {
      const p = pod('shop', 'web-0', { node: 'worker-1', claims: ['data'], state: 'ContainerCreating', created: ago('10m') });
      const old = podEvent(p, { reason: 'FailedAttachVolume', message: ATTACH, first: ago('50m'), last: ago('20m') });
      delete old.involvedObject.uid;
      expect(fallback([...base(), p, old])).toEqual([]);
    });
    it('a pod past the volume stage (ImagePullBackOff) with a FailedMount from its start', () => {
      const p = podWaitingWith('shop', 'web-0', 'ImagePullBackOff', { node: 'worker-1', claims: ['data'], created: ago('40m') });
      expect(fallback([...base(), p, podEvent(p, { reason: 'FailedMount', message: 'MountVolume.SetUp failed for volume "pv-a" : busy', last: ago('39m') })])).toEqual([]);
    });
    it('an unschedulable pod whose scheduler text is not about volumes', () => {
      const p = unscheduledPod('shop', 'web-0', { claims: ['data'], created: ago('40m'), message: '0/3 nodes are available: 3 Insufficient cpu.' });
      expect(fallback([...base(), p, podEvent(p, { reason: 'FailedScheduling', message: '0/3 nodes are available: 3 Insufficient cpu.', component: 'default-scheduler' })])).toEqual([]);
    });
    it('a scheduled pod with FailedScheduling from before it was placed', () => {
      const p = pod('shop', 'web-0', { node: 'worker-1', claims: ['data'], state: 'ContainerCreating', created: ago('40m') });
      expect(fallback([...base(), p, podEvent(p, { reason: 'FailedScheduling', message: AFFINITY, last: ago('39m'), component: 'default-scheduler' })])).toEqual([]);
    });
    it('a resize in progress within the grace', () => {
      const [v, c] = resizingClaim('shop', 'data', 'pv-a', { conditions: [{ type: 'Resizing', since: ago('30s') }] });
      expect(fallback([...healthyNode(), v, c, pvcEvent(c, { reason: 'ExternalExpanding', type: 'Normal', message: 'waiting for an external controller to expand this PVC', first: ago('30s') })])).toEqual([]);
    });
    it('a resize that has finished, with its old failure still in the events', () => {
      const [v, c] = resizingClaim('shop', 'data', 'pv-a', { from: '12Gi', to: '12Gi' });
      expect(fallback([...healthyNode(), v, c, pvcEvent(c, { reason: 'VolumeResizeFailed', message: 'transient', first: ago('50m'), last: ago('40m') })])).toEqual([]);
    });
  });
});
