import { describe, expect, it } from 'vitest';
import { volumeInUseWithoutPod as check } from '../../src/checks/volume-in-use-without-pod.js';
import { ago, boundVolume, DRIVER, node, pod, uniqueName, volumeAttachment } from '../fixtures/builders.js';
import { runCheck } from '../fixtures/run.js';
import { story3, u } from '../fixtures/stories.js';

describe('volume-in-use-without-pod', () => {
  it('fires for story 3: an orphaned mount on a Ready node blocks a pod elsewhere, and warns against deleting the attachment', () => {
    const objects = [node('worker-1'), node('worker-5', { volumesInUse: [u('pvc-5a5a5a5a')], volumesAttached: [u('pvc-5a5a5a5a')] }), ...story3()];
    const [f, ...rest] = runCheck(check, objects);
    expect(rest).toEqual([]);
    expect(f.severity).toBe('critical');
    expect(f.subject).toEqual({ kind: 'Node', name: 'worker-5' });
    expect(f.summary).toContain('cache/redis-0 cannot attach it');
    expect(f.explanation).toContain('never forces the detach');
    expect(f.remedies.join('\n')).toMatch(/unsafe while the node is alive/);
  });

  it('is a warning when nobody waits, and names volumes it cannot map to a PV', () => {
    const objects = [node('worker-5', { volumesInUse: [uniqueName(DRIVER, 'orphan-handle')] })];
    const [f] = runCheck(check, objects);
    expect(f.severity).toBe('warning');
    expect(f.summary).toContain(`kubernetes.io/csi/${DRIVER}^orphan-handle`);
  });

  it('is only context (info) on a NotReady node', () => {
    const objects = [node('worker-2', { ready: 'Unknown', since: ago('20m'), volumesInUse: [u('pv-a')] }), ...boundVolume('a', 'c', 'pv-a')];
    const [f] = runCheck(check, objects);
    expect(f.severity).toBe('info');
    // A dead node's list is its kubelet's last word, not a mount it is known to hold.
    expect(f.summary).toContain('is NotReady and its last report still lists volume pv-a in use');
    expect(f.summary).not.toMatch(/still has volume/);
    expect(f.evidence.join('\n')).toContain('last report before the node went NotReady');
  });

  describe('stays quiet for', () => {
    it('a volume a pod on the node uses', () => {
      const objects = [node('worker-5', { volumesInUse: [u('pv-a')] }), ...boundVolume('a', 'c', 'pv-a'), volumeAttachment({ pv: 'pv-a', node: 'worker-5' }),
        pod('a', 'p', { node: 'worker-5', claims: ['c'] })];
      expect(runCheck(check, objects)).toEqual([]);
    });
    it('a volume a Terminating pod on the node still uses', () => {
      const objects = [node('worker-5', { volumesInUse: [u('pv-a')] }), ...boundVolume('a', 'c', 'pv-a'),
        pod('a', 'p', { node: 'worker-5', claims: ['c'], deletionTimestamp: ago('-10s') })];
      expect(runCheck(check, objects)).toEqual([]);
    });
    it('a volume of another namespace when diagnosing one namespace', () => {
      const objects = [node('worker-5', { volumesInUse: [u('pv-a')] }), ...boundVolume('other', 'c', 'pv-a')];
      expect(runCheck(check, objects, undefined, 'shop')).toEqual([]);
    });
  });
});
