import { describe, expect, it } from 'vitest';
import { longhornNodeDownPolicy } from '../../src/checks/longhorn-node-down-policy.js';
import { ago, lease, node } from '../fixtures/builders.js';
import { runCheck } from '../fixtures/run.js';
import { lhNode, lhReplica, lhSetting, lhVolume } from '../fixtures/longhorn.js';
import { story2 } from '../fixtures/stories.js';

describe('longhorn-node-down-policy', () => {
  it('fires for pods stuck on a down node, saying what Longhorn will do for them', () => {
    const objects = [node('worker-3', { ready: 'Unknown', since: ago('25m') }), lease('worker-3', ago('25m')), ...story2(), lhSetting('node-down-pod-deletion-policy', 'delete-deployment-pod')];
    const [f] = runCheck(longhornNodeDownPolicy, objects);
    expect(f.severity).toBe('info');
    expect(f.summary).toContain('node-down-pod-deletion-policy=delete-deployment-pod');
    expect(f.evidence[0]).toContain('prod/db-0 (StatefulSet): Longhorn leaves it');
  });

  describe('stays quiet', () => {
    it('for a healthy attached volume with running replicas', () => {
    const objects = [node('worker-1'), lhVolume('v', { state: 'attached', node: 'worker-1' }), lhReplica('v-r', { volume: 'v', node: 'worker-1', diskID: 'u1', state: 'running' }), lhNode('worker-1', [{ name: 'd', uuid: 'u1' }])];
      expect(runCheck(longhornNodeDownPolicy, objects)).toEqual([]);
    });
    it('for pods on a down node whose volumes are not Longhorn\'s (the policy does not cover them)', () => {
      const objects = [node('worker-3', { ready: 'Unknown', since: ago('25m') }), lease('worker-3', ago('25m')), ...story2(), lhSetting('node-down-pod-deletion-policy', 'delete-both-statefulset-and-deployment-pod')];
      for (const o of objects) if (o.kind === 'PersistentVolume') o.spec.csi.driver = 'ebs.csi.aws.com';
      expect(runCheck(longhornNodeDownPolicy, objects)).toEqual([]);
    });
    it('when Longhorn is not installed', () => {
      expect(runCheck(longhornNodeDownPolicy, [node('worker-1'), ...story2()])).toEqual([]);
    });
  });
});
