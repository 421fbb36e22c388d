import { describe, expect, it } from 'vitest';
import { longhornVolumeStuck } from '../../src/checks/longhorn-volume-stuck.js';
import { node } from '../fixtures/builders.js';
import { runCheck } from '../fixtures/run.js';
import { lhNode, lhReplica, lhVolume } from '../fixtures/longhorn.js';
import { longhornUpgrade, story2 } from '../fixtures/stories.js';

describe('longhorn-volume-stuck', () => {
  it('fires for a volume attaching for 25m, linking it to its PV, claim and waiting pod', () => {
    const [f] = runCheck(longhornVolumeStuck, longhornUpgrade(true));
    expect(f.severity).toBe('critical');
    expect(f.summary).toContain('Longhorn volume pvc-lh000001 (claim db/pg-data) has been attaching for 25m');
    expect(f.related).toContainEqual({ kind: 'Pod', namespace: 'db', name: 'pg-0' });
    expect(f.related).toContainEqual({ kind: 'PersistentVolumeClaim', namespace: 'db', name: 'pg-data' });
    expect(f.evidence.join('\n')).toContain('replica pvc-lh000001-r-1: stopped on worker-1, disk old-uuid-1111');
    expect(f.evidence).toContain('attachment ticket csi-3f5a1c2e9b7d (csi-attacher) for node worker-1: not satisfied');
  });

  describe('stays quiet', () => {
    it('for a healthy attached volume with running replicas', () => {
    const objects = [node('worker-1'), lhVolume('v', { state: 'attached', node: 'worker-1' }), lhReplica('v-r', { volume: 'v', node: 'worker-1', diskID: 'u1', state: 'running' }), lhNode('worker-1', [{ name: 'd', uuid: 'u1' }])];
      expect(runCheck(longhornVolumeStuck, objects)).toEqual([]);
    });
    it('when Longhorn is not installed', () => {
      expect(runCheck(longhornVolumeStuck, [node('worker-1'), ...story2()])).toEqual([]);
    });
  });
});
