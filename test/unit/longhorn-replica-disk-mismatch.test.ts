import { describe, expect, it } from 'vitest';
import { longhornReplicaDiskMismatch } from '../../src/checks/longhorn-replica-disk-mismatch.js';
import { node } from '../fixtures/builders.js';
import { runCheck } from '../fixtures/run.js';
import { lhNode, lhReplica, lhVolume } from '../fixtures/longhorn.js';
import { longhornUpgrade, story2 } from '../fixtures/stories.js';

describe('longhorn-replica-disk-mismatch', () => {
  it('fires for a replica whose disk UUID changed, naming both UUIDs and the disk', () => {
    const [f, ...rest] = runCheck(longhornReplicaDiskMismatch, longhornUpgrade(true));
    expect(rest).toEqual([]);
    expect(f.summary).toContain('points at disk UUID old-uuid-1111');
    expect(f.summary).toContain("disk default-disk-1 now has UUID new-uuid-9999");
    expect(f.remedies[0]).toContain('Another replica is healthy');
  });

  it('warns not to delete the last replica when none is healthy', () => {
    const findings = runCheck(longhornReplicaDiskMismatch, longhornUpgrade(false));
    expect(findings).toHaveLength(1);
    expect(findings[0].severity).toBe('critical');
    expect(findings[0].remedies.join('\n')).toContain(`Do not delete replica ${findings[0].subject.name}:`);
  });

  describe('stays quiet', () => {
    it('for a healthy attached volume with running replicas', () => {
    const objects = [node('worker-1'), lhVolume('v', { state: 'attached', node: 'worker-1' }), lhReplica('v-r', { volume: 'v', node: 'worker-1', diskID: 'u1', state: 'running' }), lhNode('worker-1', [{ name: 'd', uuid: 'u1' }])];
      expect(runCheck(longhornReplicaDiskMismatch, objects)).toEqual([]);
    });
    it('for a stopped replica whose disk UUID still matches (a detached volume)', () => {
      const objects = [lhReplica('v-r', { volume: 'v', node: 'worker-1', diskID: 'u1', state: 'stopped' }), lhNode('worker-1', [{ name: 'd', uuid: 'u1' }])];
      expect(runCheck(longhornReplicaDiskMismatch, objects)).toEqual([]);
    });
    it('when Longhorn is not installed', () => {
      expect(runCheck(longhornReplicaDiskMismatch, [node('worker-1'), ...story2()])).toEqual([]);
    });
  });
});
