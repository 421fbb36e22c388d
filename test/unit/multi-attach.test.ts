import { describe, expect, it } from 'vitest';
import { multiAttach } from '../../src/checks/multi-attach.js';
import { ago, boundVolume, csiDriver, DRIVER, lease, node, pod, podEvent, uniqueName, volumeAttachment } from '../fixtures/builders.js';
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
    expect(f.summary).toContain('stale attachment to down node worker-2');
    expect(f.evidence.join('\n')).toMatch(/NotReady \(Unknown, NodeStatusUnknown\) for 20m/);
    expect(f.evidence.join('\n')).toContain('Multi-Attach error for volume "pvc-1d2c3b4a"');
    expect(f.remedies.join('\n')).toContain('node.kubernetes.io/out-of-service=nodeshutdown:NoExecute');
  });

  it('says the holder node is unknown, not deleted, when the dump holds no Node objects', () => {
    const [f] = runCheck(multiAttach, story1());
    expect(f.summary).toContain('an attachment to node worker-2, whose state is unknown (the dump holds no Node objects)');
    expect(f.summary).not.toContain('no longer exists');
  });

  it('is found from state alone when the one-time event has expired', () => {
    const objects = [...healthy(), ...down('worker-2'), ...story1().filter((o) => o.kind !== 'Event')];
    const [f] = runCheck(multiAttach, objects);
    expect(f).toBeDefined();
    expect(f.evidence.join('\n')).toContain('found from attachment state');
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
    expect(f.summary).toContain('Terminating pod prod/app-old on unreachable node worker-3');
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
    expect(f.summary).toContain('running pod prod/app-a');
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
