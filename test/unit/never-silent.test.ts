// The never-silent rule, as a property of the whole check set: a pod that waits on a volume (Pending, scheduled or
// not, before its containers start) or a claim that is Pending or resizing, past the grace, with a volume warning of
// its own, is always named by a warning-or-critical finding; and the fallback never speaks about anything else.
// FC_SEED=n replays a run.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RESIZE_GRACE_MS } from '../../src/checks/thresholds.js';
import { diagnoseSnapshot } from '../../src/engine.js';
import type { Finding } from '../../src/model/finding.js';
import type { ObjectRef } from '../../src/model/snapshot.js';
import {
  ago, boundVolume, csiDriver, csiNode, DRIVER, lease, node, pod, podEvent, Raw, snapshotOf, volumeAttachment,
} from '../fixtures/builders.js';
import { pendingClaim, podWaitingWith, pvcEvent, REALWORLD, realWorldDump, resizingClaim, unscheduledPod } from '../fixtures/waiting.js';

const SEED = process.env.FC_SEED ? Number(process.env.FC_SEED) : 20261208;

const same = (a: ObjectRef, b: ObjectRef) => a.kind === b.kind && a.name === b.name && (a.namespace ?? '') === (b.namespace ?? '');
const namedAtWarning = (findings: Finding[], ref: ObjectRef) =>
  findings.filter((f) => f.severity !== 'info' && [f.subject, ...f.related].some((r) => same(r, ref)));

describe('real-world messages, each in a dump where a pod or claim has waited 40 minutes', () => {
  const families = new Set(['multiattach', 'attach', 'mount', 'scheduling', 'expansion', 'longhorn', 'provisioning']);
  const entries = REALWORLD.filter((m) => families.has(m.family) && ['pod-event', 'pvc-event', 'va-attachError'].includes(m.where) && (m.where !== 'pvc-event' || m.reason === 'ProvisioningFailed' || m.family === 'expansion'));

  it('covers every family of the brief', () => {
    expect(new Set(entries.map((m) => m.family))).toEqual(families);
    expect(entries.length).toBeGreaterThanOrEqual(25);
  });

  for (const m of entries) {
    it(`${m.family} / ${m.where}${m.reason ? ` ${m.reason}` : ''}: ${m.message.slice(0, 70)}`, () => {
      const dump = realWorldDump(m);
      const { findings } = diagnoseSnapshot(snapshotOf(dump.objects));
      const naming = namedAtWarning(findings, dump.waiting);
      expect(naming.length, JSON.stringify(findings.map((f) => [f.check, f.severity, f.summary]))).toBeGreaterThan(0);
      // The message itself is quoted, verbatim, by a finding that names the waiting object.
      expect(naming.some((f) => [f.summary, ...f.evidence].some((t) => t.includes(m.message)))).toBe(true);
      // 40 minutes is an outage.
      expect(naming.some((f) => f.severity === 'critical')).toBe(true);
      if (m.family === 'multiattach') {
        const f = naming.find((x) => x.check === 'multi-attach')!;
        expect(f.evidence.join('\n')).toContain('based on: the event alone');
      }
    });
  }
});

// ---- the property ----------------------------------------------------------------------------------

type PodState = 'Running' | 'ContainerCreating' | 'Unscheduled' | 'ImagePullBackOff' | 'Terminating';
type When = 'current' | 'before-pod' | 'other-uid';
interface EventSpec { kind: 'multi-attach' | 'attach' | 'mount' | 'mount-generic' | 'sched-volume' | 'sched-cpu' | 'backoff'; when: When }
interface PodSpec {
  state: PodState;
  ageMin: number;
  conditionText: 'volume' | 'cpu' | 'none';
  events: EventSpec[];
  rwx: boolean;
  va: 'none' | 'here' | 'other-node' | 'error' | 'pending';
}
interface ClaimSpec {
  kind: 'pending' | 'resizing' | 'resized';
  ageMin: number;
  warning: 'current' | 'none' | 'other-uid';
  condition: 'Resizing' | 'FileSystemResizePending' | 'ControllerResizeError' | 'none';
}
interface World { pods: PodSpec[]; claims: ClaimSpec[]; node1Ready: boolean; registered: boolean; vasRead: boolean }

const AGES = [0.25, 0.5, 2, 5, 14, 16, 40, 90];
const GRACE_MIN = 1;
const RESIZE_GRACE_MIN = RESIZE_GRACE_MS / 60_000;
const minutes = (m: number) => `${Math.round(m * 60)}s`;

const eventSpec = fc.record({
  kind: fc.constantFrom<EventSpec['kind'][]>('multi-attach', 'attach', 'mount', 'mount-generic', 'sched-volume', 'sched-cpu', 'backoff'),
  when: fc.constantFrom<When[]>('current', 'current', 'before-pod', 'other-uid'),
});
const podSpec = fc.record({
  state: fc.constantFrom<PodState[]>('Running', 'ContainerCreating', 'ContainerCreating', 'Unscheduled', 'ImagePullBackOff', 'Terminating'),
  ageMin: fc.constantFrom(...AGES),
  conditionText: fc.constantFrom<PodSpec['conditionText'][]>('volume', 'cpu', 'none'),
  events: fc.array(eventSpec, { maxLength: 3 }),
  rwx: fc.boolean(),
  va: fc.constantFrom<PodSpec['va'][]>('none', 'here', 'other-node', 'error', 'pending'),
});
const claimSpec = fc.record({
  kind: fc.constantFrom<ClaimSpec['kind'][]>('pending', 'resizing', 'resized'),
  ageMin: fc.constantFrom(...AGES),
  warning: fc.constantFrom<ClaimSpec['warning'][]>('current', 'none', 'other-uid'),
  condition: fc.constantFrom<ClaimSpec['condition'][]>('Resizing', 'FileSystemResizePending', 'ControllerResizeError', 'none'),
});
const world = fc.record({
  pods: fc.array(podSpec, { minLength: 1, maxLength: 5 }),
  claims: fc.array(claimSpec, { maxLength: 3 }),
  node1Ready: fc.boolean(),
  registered: fc.boolean(),
  vasRead: fc.boolean(),
});

const MESSAGES: Record<EventSpec['kind'], (pvName: string) => { reason: string; message: string }> = {
  'multi-attach': (v) => ({ reason: 'FailedAttachVolume', message: `Multi-Attach error for volume "${v}" Volume is already used by pod(s) old-${v}` }),
  attach: (v) => ({ reason: 'FailedAttachVolume', message: `AttachVolume.Attach failed for volume "${v}" : rpc error: code = DeadlineExceeded desc = context deadline exceeded` }),
  mount: (v) => ({ reason: 'FailedMount', message: `MountVolume.MountDevice failed for volume "${v}" : rpc error: code = Internal desc = failed to stage volume: process killed after timeout` }),
  'mount-generic': () => ({ reason: 'FailedMount', message: 'Unable to attach or mount volumes: unmounted volumes=[data], unattached volumes=[data]: timed out waiting for the condition' }),
  'sched-volume': () => ({ reason: 'FailedScheduling', message: '0/3 nodes are available: 3 node(s) had volume node affinity conflict. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.' }),
  'sched-cpu': () => ({ reason: 'FailedScheduling', message: '0/3 nodes are available: 3 Insufficient cpu.' }),
  backoff: () => ({ reason: 'BackOff', message: 'Back-off pulling image "registry.example/app:1.0"' }),
};

function build(w: World): { objects: Raw[]; qualifying: ObjectRef[]; outside: ObjectRef[] } {
  const objects: Raw[] = [
    node('worker-1', w.node1Ready ? {} : { ready: 'Unknown', since: ago('30m') }), lease('worker-1', w.node1Ready ? ago('5s') : ago('30m')),
    node('worker-2'), lease('worker-2', ago('4s')),
    csiNode('worker-1', w.registered ? [DRIVER] : []), csiNode('worker-2'), csiDriver(DRIVER),
  ];
  const qualifying: ObjectRef[] = [];
  const outside: ObjectRef[] = [];
  w.pods.forEach((s, i) => {
    const ns = 'prop';
    const name = `p-${i}`;
    const claim = `c-${i}`;
    const pvName = `pv-${i}`;
    objects.push(...boundVolume(ns, claim, pvName, { accessModes: [s.rwx ? 'ReadWriteMany' : 'ReadWriteOnce'] }));
    const created = ago(minutes(s.ageMin));
    const o = { node: 'worker-1', claims: [claim], created };
    const p = s.state === 'Unscheduled'
      ? unscheduledPod(ns, name, { claims: [claim], created, message: s.conditionText === 'none' ? undefined : MESSAGES[s.conditionText === 'volume' ? 'sched-volume' : 'sched-cpu'](pvName).message })
      : s.state === 'ImagePullBackOff' ? podWaitingWith(ns, name, 'ImagePullBackOff', o)
        : s.state === 'Terminating' ? pod(ns, name, { ...o, state: 'ContainerCreating', deletionTimestamp: ago('-20s') })
          : pod(ns, name, { ...o, state: s.state });
    objects.push(p);
    if (s.state !== 'Unscheduled' && s.va !== 'none') {
      objects.push(volumeAttachment({
        pv: pvName, node: s.va === 'other-node' ? 'worker-2' : 'worker-1', attached: s.va === 'here' || s.va === 'other-node',
        ...(s.va === 'error' ? { attachError: { time: ago('1m'), message: 'rpc error: code = Internal desc = backend refused' } } : {}),
      }));
    }
    let signal = s.state === 'Unscheduled' && s.conditionText === 'volume';
    for (const e of s.events) {
      const { reason, message } = MESSAGES[e.kind](pvName);
      const at = e.when === 'before-pod' ? ago(minutes(s.ageMin + 5)) : ago(minutes(Math.min(s.ageMin, 0.2)));
      const ev = podEvent(p, { reason, message, type: e.kind === 'backoff' ? 'Normal' : 'Warning', first: at, last: at });
      if (e.when === 'other-uid') ev.involvedObject.uid = 'an-earlier-pod';
      objects.push(ev);
      const volumeReason = e.kind !== 'backoff' && e.kind !== 'sched-cpu' && (e.kind !== 'sched-volume' || s.state === 'Unscheduled');
      if (e.when === 'current' && volumeReason) signal = true;
    }
    const waits = s.state === 'ContainerCreating' || s.state === 'Unscheduled';
    const ref = { kind: 'Pod', namespace: ns, name };
    if (waits && s.ageMin > GRACE_MIN && signal) qualifying.push(ref);
    else outside.push(ref);
  });
  w.claims.forEach((s, i) => {
    const ns = 'prop';
    const name = `claim-${i}`;
    const since = ago(minutes(s.ageMin));
    let c: Raw;
    if (s.kind === 'pending') {
      c = pendingClaim(ns, name, since);
      objects.push(c);
    } else {
      const [v, claim] = resizingClaim(ns, name, `pv-claim-${i}`, {
        ...(s.kind === 'resized' ? { from: '12Gi', to: '12Gi' } : {}),
        conditions: s.kind === 'resizing' && s.condition !== 'none' ? [{ type: s.condition, since }] : [],
      });
      c = claim;
      objects.push(v, c);
    }
    if (s.warning !== 'none') {
      const ev = pvcEvent(c, { reason: s.kind === 'pending' ? 'ProvisioningFailed' : 'VolumeResizeFailed', message: 'rpc error: code = Internal desc = backend said no', first: since, last: ago('10s') });
      if (s.warning === 'other-uid') ev.involvedObject.uid = 'an-earlier-claim';
      objects.push(ev);
    }
    const ref = { kind: 'PersistentVolumeClaim', namespace: ns, name };
    const signal = s.warning === 'current' || (s.kind === 'resizing' && s.condition !== 'none');
    const inRule = s.ageMin > (s.kind === 'pending' ? GRACE_MIN : RESIZE_GRACE_MIN) && signal && (s.kind === 'pending' || s.kind === 'resizing');
    (inRule ? qualifying : outside).push(ref);
  });
  return { objects, qualifying, outside };
}

describe('the never-silent rule over generated states', () => {
  it('names every waiting pod and claim with a volume warning, and the fallback speaks of nothing else', () => {
    let qualified = 0;
    let fallbacks = 0;
    fc.assert(fc.property(world, (w) => {
      const { objects, qualifying, outside } = build(w);
      const snapshot = snapshotOf(objects);
      if (!w.vasRead) {
        snapshot.volumeAttachments = [];
        snapshot.incomplete.push({ resource: 'volumeattachments', reason: 'forbidden' });
      }
      const { findings } = diagnoseSnapshot(snapshot);
      for (const ref of qualifying) {
        qualified++;
        expect(namedAtWarning(findings, ref).length, `${ref.kind} ${ref.name} is not named: ${JSON.stringify(findings.map((f) => [f.check, f.severity, f.subject.name]))}`).toBeGreaterThan(0);
      }
      for (const ref of outside) {
        expect(findings.filter((f) => f.check === 'volume-wait-unexplained' && same(f.subject, ref)), `${ref.kind} ${ref.name} is outside the rule`).toEqual([]);
      }
      fallbacks += findings.filter((f) => f.check === 'volume-wait-unexplained').length;
    }), { seed: SEED, numRuns: 300, endOnFailure: true });
    // The generator reaches both sides of the rule.
    expect(qualified).toBeGreaterThan(100);
    expect(fallbacks).toBeGreaterThan(20);
  });
});
