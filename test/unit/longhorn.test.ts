import { describe, expect, it } from 'vitest';
import { longhornVolumeStuck } from '../../src/checks/longhorn-volume-stuck.js';
import { longhornReplicaDiskMismatch } from '../../src/checks/longhorn-replica-disk-mismatch.js';
import { longhornVolumeFaulted } from '../../src/checks/longhorn-volume-faulted.js';
import { longhornNodeDownPolicy } from '../../src/checks/longhorn-node-down-policy.js';
import { CHECKS } from '../../src/checks/index.js';
import { Graph } from '../../src/graph.js';
import { ago, lease, node, snapshotOf } from '../fixtures/builders.js';
import { runCheck } from '../fixtures/run.js';
import { lhNode, lhReplica, lhSetting, lhVolume } from '../fixtures/longhorn.js';
import { longhornUpgrade, story2 } from '../fixtures/stories.js';

describe('longhorn checks', () => {
  it('longhorn-volume-stuck links the attaching volume to its PV, claim and waiting pod', () => {
    const [f] = runCheck(longhornVolumeStuck, longhornUpgrade(true));
    expect(f.severity).toBe('critical');
    expect(f.summary).toContain('Longhorn volume pvc-lh000001 (claim db/pg-data) has been attaching for 25m');
    expect(f.related).toContainEqual({ kind: 'Pod', namespace: 'db', name: 'pg-0' });
    expect(f.related).toContainEqual({ kind: 'PersistentVolumeClaim', namespace: 'db', name: 'pg-data' });
    expect(f.evidence.join('\n')).toContain('replica pvc-lh000001-r-1: stopped on worker-1, disk old-uuid-1111');
    expect(f.evidence).toContain('attachment ticket csi-3f5a1c2e9b7d (csi-attacher) for node worker-1: not satisfied');
  });

  it('longhorn-replica-disk-mismatch names both UUIDs and the disk', () => {
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

  it('longhorn-volume-faulted fires for faulted, and for degraded with no healthy replica on a Ready node', () => {
    expect(runCheck(longhornVolumeFaulted, longhornUpgrade(false))[0].summary).toContain('is faulted');
    const degraded = [node('worker-1', { ready: 'Unknown', since: ago('1h') }), lhVolume('v1', { state: 'attached', robustness: 'degraded' }),
      lhReplica('v1-r', { volume: 'v1', node: 'worker-1', diskID: 'u', state: 'running' })];
    expect(runCheck(longhornVolumeFaulted, degraded)[0].summary).toContain('none of its replicas runs on a Ready node');
  });

  it('longhorn-node-down-policy says what Longhorn will do for stuck pods', () => {
    const objects = [node('worker-3', { ready: 'Unknown', since: ago('25m') }), lease('worker-3', ago('25m')), ...story2(), lhSetting('node-down-pod-deletion-policy', 'delete-deployment-pod')];
    const [f] = runCheck(longhornNodeDownPolicy, objects);
    expect(f.severity).toBe('info');
    expect(f.summary).toContain('node-down-pod-deletion-policy=delete-deployment-pod');
    expect(f.evidence[0]).toContain('prod/db-0 (StatefulSet): Longhorn leaves it');
  });

  describe('stay quiet', () => {
    it('for a healthy attached volume with running replicas', () => {
      const objects = [node('worker-1'), lhVolume('v', { state: 'attached', node: 'worker-1' }), lhReplica('v-r', { volume: 'v', node: 'worker-1', diskID: 'u1', state: 'running' }), lhNode('worker-1', [{ name: 'd', uuid: 'u1' }])];
      for (const check of [longhornVolumeStuck, longhornReplicaDiskMismatch, longhornVolumeFaulted, longhornNodeDownPolicy]) expect(runCheck(check, objects)).toEqual([]);
    });
    it('for a stopped replica whose disk UUID still matches (a detached volume)', () => {
      const objects = [lhReplica('v-r', { volume: 'v', node: 'worker-1', diskID: 'u1', state: 'stopped' }), lhNode('worker-1', [{ name: 'd', uuid: 'u1' }])];
      expect(runCheck(longhornReplicaDiskMismatch, objects)).toEqual([]);
    });
    it('for pods on a down node whose volumes are not Longhorn\'s (the policy does not cover them)', () => {
      const objects = [node('worker-3', { ready: 'Unknown', since: ago('25m') }), lease('worker-3', ago('25m')), ...story2(), lhSetting('node-down-pod-deletion-policy', 'delete-both-statefulset-and-deployment-pod')];
      for (const o of objects) if (o.kind === 'PersistentVolume') o.spec.csi.driver = 'ebs.csi.aws.com';
      expect(runCheck(longhornNodeDownPolicy, objects)).toEqual([]);
    });
    it('when Longhorn is not installed', () => {
      const graph = new Graph(snapshotOf([node('worker-1'), ...story2()]));
      const longhornChecks = CHECKS.filter((c) => c.id.startsWith('longhorn-'));
      expect(longhornChecks.length).toBe(4);
      for (const c of longhornChecks) expect(c.run(graph)).toEqual([]);
    });
  });
});
