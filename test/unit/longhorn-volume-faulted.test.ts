import { describe, expect, it } from 'vitest';
import { longhornVolumeFaulted } from '../../src/checks/longhorn-volume-faulted.js';
import { ago, node } from '../fixtures/builders.js';
import { runCheck } from '../fixtures/run.js';
import { lhNode, lhReplica, lhVolume } from '../fixtures/longhorn.js';
import { longhornUpgrade, story2 } from '../fixtures/stories.js';

describe('longhorn-volume-faulted', () => {
  it('fires for faulted, and for degraded with no healthy replica on a Ready node', () => {
    expect(runCheck(longhornVolumeFaulted, longhornUpgrade(false))[0].summary).toContain('is faulted');
    const degraded = [node('worker-1', { ready: 'Unknown', since: ago('1h') }), lhVolume('v1', { state: 'attached', robustness: 'degraded' }),
      lhReplica('v1-r', { volume: 'v1', node: 'worker-1', diskID: 'u', state: 'running' })];
    expect(runCheck(longhornVolumeFaulted, degraded)[0].summary).toContain('none of its replicas runs on a Ready node');
  });

  describe('stays quiet', () => {
    it('for a healthy attached volume with running replicas', () => {
    const objects = [node('worker-1'), lhVolume('v', { state: 'attached', node: 'worker-1' }), lhReplica('v-r', { volume: 'v', node: 'worker-1', diskID: 'u1', state: 'running' }), lhNode('worker-1', [{ name: 'd', uuid: 'u1' }])];
      expect(runCheck(longhornVolumeFaulted, objects)).toEqual([]);
    });
    it('when Longhorn is not installed', () => {
      expect(runCheck(longhornVolumeFaulted, [node('worker-1'), ...story2()])).toEqual([]);
    });
  });
});
