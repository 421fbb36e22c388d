import { describe, expect, it } from 'vitest';
import { multiAttach } from '../../src/checks/multi-attach.js';
import { Graph } from '../../src/graph.js';
import { ago, boundVolume, csiDriver, DRIVER, lease, node, pod, podEvent, snapshotOf, uniqueName, volumeAttachment } from '../fixtures/builders.js';
import { runCheck } from '../fixtures/run.js';
import { story1 } from '../fixtures/stories.js';

const healthy = () => [node('worker-1'), lease('worker-1', ago('5s'))];
const down = (name: string, since = '20m') => [node(name, { ready: 'Unknown', since: ago(since) }), lease(name, ago(since))];

describe('multi-attach', () => {
  it('fires for the replacement pod of story 1 and names the down node and the stale attachment', () => {
    const findings = runCheck(multiAttach, [...healthy(), ...down('worker-2'), ...story1()]);
    expect(findings).toHaveLength(1);
    const f = findings[0];
    expect(f.severity).toBe('critical');
    expect(f.subject).toEqual({ kind: 'Pod', namespace: 'shop', name: 'web-7d9f6c-x2k4p' });
    expect(f.related).toContainEqual({ kind: 'Node', name: 'worker-2' });
    expect(f.related.some((r) => r.kind === 'VolumeAttachment')).toBe(true);
    expect(f.summary).toContain('worker-2');
    expect(f.summary).toContain('still attached to down node worker-2 by a stale attachment');
    expect(f.summary.match(/worker-2/g)).toHaveLength(1);
    expect(f.evidence.join('\n')).toMatch(/NotReady \(Unknown, NodeStatusUnknown\) for 20m/);
    expect(f.evidence.join('\n')).toContain('Multi-Attach error for volume "pvc-1d2c3b4a"');
    expect(f.remedies.join('\n')).toContain('node.kubernetes.io/out-of-service=nodeshutdown:NoExecute');
  });

  it('says the holder node is unknown, not deleted, when the dump holds no Node objects', () => {
    const [f] = runCheck(multiAttach, story1());
    expect(f.summary).toContain('still attached to node worker-2, whose state is unknown (the dump holds no Node objects)');
    expect(f.summary).not.toContain('no longer exists');
  });

  it('is found from state alone when the one-time event has expired', () => {
    const objects = [...healthy(), ...down('worker-2'), ...story1().filter((o) => o.kind !== 'Event')];
    const [f] = runCheck(multiAttach, objects);
    expect(f).toBeDefined();
    expect(f.evidence.join('\n')).toContain('found from attachment state');
  });

  it('does not call a down node\'s stale volumesInUse a mount the kubelet has', () => {
    const objects = [
      ...healthy(), node('worker-2', { ready: 'Unknown', since: ago('20m'), volumesInUse: [uniqueName(DRIVER, 'pv-a')], volumesAttached: [uniqueName(DRIVER, 'pv-a')] }), lease('worker-2', ago('20m')),
      ...boundVolume('prod', 'data', 'pv-a'),
      pod('prod', 'app-b', { node: 'worker-1', claims: ['data'], state: 'ContainerCreating', created: ago('5m') }),
    ];
    const [f] = runCheck(multiAttach, objects);
    const inUse = f.evidence.find((e) => e.includes('status.volumesInUse'))!;
    expect(inUse).toContain('last report before the node went NotReady');
    expect(inUse).not.toContain('the kubelet has it mounted');
  });

  it('names a Terminating pod on the unreachable node as the holder', () => {
    const objects = [
      ...healthy(), ...down('worker-3'),
      ...boundVolume('prod', 'data', 'pv-a'),
      volumeAttachment({ pv: 'pv-a', node: 'worker-3' }),
      pod('prod', 'app-old', { node: 'worker-3', claims: ['data'], deletionTimestamp: ago('15m') }),
      pod('prod', 'app-new', { node: 'worker-1', claims: ['data'], state: 'ContainerCreating', created: ago('14m') }),
    ];
    const [f] = runCheck(multiAttach, objects);
    expect(f.summary).toContain('still attached to unreachable node worker-3, held by Terminating pod prod/app-old');
    expect(f.related).toContainEqual({ kind: 'Pod', namespace: 'prod', name: 'app-old' });
  });

  it('names a running pod on a Ready node and says not to delete the attachment', () => {
    const objects = [
      ...healthy(), node('worker-2'), lease('worker-2', ago('3s')),
      ...boundVolume('prod', 'data', 'pv-a'),
      volumeAttachment({ pv: 'pv-a', node: 'worker-2' }),
      pod('prod', 'app-a', { node: 'worker-2', claims: ['data'] }),
      pod('prod', 'app-b', { node: 'worker-1', claims: ['data'], state: 'ContainerCreating', created: ago('5m') }),
    ];
    const [f] = runCheck(multiAttach, objects);
    expect(f.summary).toContain('held by running pod prod/app-a');
    expect(f.remedies.join('\n')).toContain('Do not delete the VolumeAttachment');
  });

  it('finds the holder from node.status.volumesAttached when there is no VolumeAttachment', () => {
    const objects = [
      ...healthy(), node('worker-2', { ready: 'Unknown', since: ago('20m'), volumesAttached: [uniqueName(DRIVER, 'pv-a')] }), lease('worker-2', ago('20m')),
      ...boundVolume('prod', 'data', 'pv-a'),
      pod('prod', 'app-b', { node: 'worker-1', claims: ['data'], state: 'ContainerCreating', created: ago('5m') }),
    ];
    const [f] = runCheck(multiAttach, objects);
    expect(f.evidence.join('\n')).toContain('status.volumesAttached');
  });

  describe('stays quiet for', () => {
    const base = () => [...healthy(), ...down('worker-2')];
    it('a ReadWriteMany volume used from two nodes', () => {
      const objects = [...base(), ...boundVolume('shop', 'shared', 'pv-rwx', { accessModes: ['ReadWriteMany'] }),
        volumeAttachment({ pv: 'pv-rwx', node: 'worker-2' }),
        pod('shop', 'b', { node: 'worker-1', claims: ['shared'], state: 'ContainerCreating', created: ago('10m') })];
      expect(runCheck(multiAttach, objects)).toEqual([]);
    });
    it('a driver with attachRequired: false', () => {
      const objects = [...base(), csiDriver('nfs.csi.k8s.io', false), ...boundVolume('shop', 'up', 'pv-nfs', { driver: 'nfs.csi.k8s.io' }),
        volumeAttachment({ pv: 'pv-nfs', node: 'worker-2', driver: 'nfs.csi.k8s.io' }),
        pod('shop', 'b', { node: 'worker-1', claims: ['up'], state: 'ContainerCreating', created: ago('10m') })];
      expect(runCheck(multiAttach, objects)).toEqual([]);
    });
    it('a pod that has waited only seconds (a normal hand-over)', () => {
      const objects = [...base(), ...story1().filter((o) => o.kind !== 'Pod' && o.kind !== 'Event'),
        pod('shop', 'web-new', { node: 'worker-1', claims: ['web-data'], state: 'ContainerCreating', created: ago('20s') })];
      expect(runCheck(multiAttach, objects)).toEqual([]);
    });
    it('a pod that has since started, even with an old Multi-Attach event', () => {
      const started = pod('shop', 'web-new', { node: 'worker-1', claims: ['web-data'] });
      const objects = [...base(), ...story1().filter((o) => o.kind !== 'Pod' && o.kind !== 'Event'), started,
        podEvent(started, { reason: 'FailedAttachVolume', message: 'Multi-Attach error for volume "pvc-1d2c3b4a" Volume is already used by pod(s) web-old', last: ago('50m') })];
      expect(runCheck(multiAttach, objects)).toEqual([]);
    });
    it('a volume already attached to the pod\'s own node', () => {
      const objects = [...base(), ...boundVolume('shop', 'd', 'pv-a'), volumeAttachment({ pv: 'pv-a', node: 'worker-1' }),
        pod('shop', 'b', { node: 'worker-1', claims: ['d'], state: 'ContainerCreating', created: ago('10m') })];
      expect(runCheck(multiAttach, objects)).toEqual([]);
    });
  });
});

describe('multi-attach from the event alone', () => {
  const USED_BY = 'Multi-Attach error for volume "pv-a" Volume is already used by pod(s) app-old, app-older';
  const EXCLUSIVE = 'Multi-Attach error for volume "pv-a" Volume is already exclusively attached to one node and can\'t be attached to another';
  const waitingPod = (created = '14m') => pod('prod', 'app-new', { node: 'worker-1', claims: ['data'], state: 'ContainerCreating', created: ago(created) });
  const healthy = () => [node('worker-1'), lease('worker-1', ago('5s'))];

  it('reports at critical from a dump without VolumeAttachments, naming the pods the event names', () => {
    const p = waitingPod();
    const old = pod('prod', 'app-old', { node: 'worker-3', claims: ['data'], created: ago('3h') });
    const objects = [...healthy(), node('worker-3', { ready: 'Unknown', since: ago('20m') }), ...boundVolume('prod', 'data', 'pv-a'), p, old,
      podEvent(p, { reason: 'FailedAttachVolume', message: USED_BY, last: ago('13m') })];
    const [f, ...rest] = runCheck(multiAttach, objects);
    expect(rest).toEqual([]);
    expect(f.severity).toBe('critical');
    expect(f.subject).toEqual({ kind: 'Pod', namespace: 'prod', name: 'app-new' });
    expect(f.summary).toContain('by prod/app-old, prod/app-older');
    expect(f.summary).toContain(USED_BY);
    expect(f.summary).toContain('the dump holds no VolumeAttachment objects');
    expect(f.related).toContainEqual({ kind: 'Pod', namespace: 'prod', name: 'app-old' });
    expect(f.related).toContainEqual({ kind: 'Node', name: 'worker-3' });
    const evidence = f.evidence.join('\n');
    expect(evidence).toContain('pod prod/app-old named by the event: on node worker-3 (NotReady (Unknown, NodeStatusUnknown) for 20m');
    expect(evidence).toContain('pod prod/app-older named by the event no longer exists');
    expect(evidence).toContain('based on: the event alone');
    const remedies = f.remedies.join('\n');
    expect(remedies).toContain('kubectl get volumeattachments');
    expect(remedies).toContain('kubectl get pod app-old app-older -n prod -o wide');
    expect(remedies).toContain('Never delete the VolumeAttachment');
  });

  it('says when VolumeAttachments could not be read (RBAC)', () => {
    const p = waitingPod();
    const s = snapshotOf([...healthy(), ...boundVolume('prod', 'data', 'pv-a'), p, podEvent(p, { reason: 'FailedAttachVolume', message: EXCLUSIVE, last: ago('13m') })]);
    s.source = { type: 'cluster' };
    s.incomplete.push({ resource: 'volumeattachments', reason: 'forbidden' });
    const [f] = multiAttach.run(new Graph(s));
    expect(f.severity).toBe('critical');
    expect(f.summary).toContain('VolumeAttachments could not be read (forbidden or unreadable)');
    expect(f.summary).toContain(EXCLUSIVE);
  });

  it('covers a volume that is not CSI, and one whose attachment is simply absent', () => {
    const p = waitingPod();
    const inTree = [...healthy(), ...boundVolume('prod', 'data', 'pv-a'), p, podEvent(p, { reason: 'FailedAttachVolume', message: USED_BY })];
    delete inTree[2].spec.csi;
    inTree[2].spec.rbd = { monitors: ['10.0.0.1:6789'], image: 'kubernetes-dynamic-pvc-1' };
    const [a] = runCheck(multiAttach, inTree);
    expect(a.evidence.join('\n')).toContain('pv-a is not a CSI volume');
    const other = volumeAttachment({ pv: 'pv-other', node: 'worker-2' });
    const [b] = runCheck(multiAttach, [...healthy(), ...boundVolume('prod', 'data', 'pv-a'), other, p, podEvent(p, { reason: 'FailedAttachVolume', message: USED_BY })]);
    expect(b.evidence.join('\n')).toContain('not found: no VolumeAttachment of pv-a on another node, and no node lists it in status.volumesAttached');
  });

  it('rests on state, and says so, when the attachment is there', () => {
    const [f] = runCheck(multiAttach, [...healthy(), ...down('worker-2'), ...story1()]);
    expect(f.evidence.join('\n')).toContain('based on: attachment state');
    expect(f.evidence.join('\n')).not.toContain('the event alone');
  });

  describe('stays quiet for', () => {
    it('an event of an earlier pod with the same name', () => {
      const p = waitingPod('5m');
      const e = podEvent(p, { reason: 'FailedAttachVolume', message: USED_BY, last: ago('20m') });
      e.involvedObject.uid = 'earlier';
      expect(runCheck(multiAttach, [...healthy(), ...boundVolume('prod', 'data', 'pv-a'), p, e])).toEqual([]);
    });
    it('a pod that has since started, or waits within the grace', () => {
      const started = pod('prod', 'app-new', { node: 'worker-1', claims: ['data'], created: ago('30m') });
      expect(runCheck(multiAttach, [...healthy(), ...boundVolume('prod', 'data', 'pv-a'), started, podEvent(started, { reason: 'FailedAttachVolume', message: USED_BY, last: ago('29m') })])).toEqual([]);
      const fresh = waitingPod('30s');
      expect(runCheck(multiAttach, [...healthy(), ...boundVolume('prod', 'data', 'pv-a'), fresh, podEvent(fresh, { reason: 'FailedAttachVolume', message: USED_BY, last: ago('20s') })])).toEqual([]);
    });
    it('an event the state contradicts: the volume is attached to the pod\'s node now', () => {
      const p = waitingPod();
      expect(runCheck(multiAttach, [...healthy(), ...boundVolume('prod', 'data', 'pv-a'), volumeAttachment({ pv: 'pv-a', node: 'worker-1' }), p, podEvent(p, { reason: 'FailedAttachVolume', message: USED_BY })])).toEqual([]);
    });
  });
});
