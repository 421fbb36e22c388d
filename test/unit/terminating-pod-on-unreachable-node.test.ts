import { describe, expect, it } from 'vitest';
import { terminatingPodOnUnreachableNode as check } from '../../src/checks/terminating-pod-on-unreachable-node.js';
import { ago, boundVolume, lease, node, pod, volumeAttachment } from '../fixtures/builders.js';
import { runCheck } from '../fixtures/run.js';
import { story2 } from '../fixtures/stories.js';

const worker3Down = (since = '25m') => [node('worker-3', { ready: 'Unknown', since: ago(since) }), lease('worker-3', ago(since))];

describe('terminating-pod-on-unreachable-node', () => {
  it('fires for the StatefulSet pod of story 2 and says the replacement cannot be created', () => {
    const [f, ...rest] = runCheck(check, [...worker3Down(), ...story2()]);
    expect(rest).toEqual([]);
    expect(f.severity).toBe('critical');
    expect(f.subject).toEqual({ kind: 'Pod', namespace: 'prod', name: 'db-0' });
    expect(f.summary).toContain('StatefulSet db cannot create the replacement db-0');
    expect(f.evidence.join('\n')).toMatch(/Terminating for 19m \(grace period ended 19m ago\)/);
    expect(f.related).toContainEqual({ kind: 'Node', name: 'worker-3' });
    expect(f.remedies.join('\n')).toContain('kubectl taint node worker-3 node.kubernetes.io/out-of-service=nodeshutdown:NoExecute');
    expect(f.since).toBe(ago('19m'));
  });

  it('on a node already marked out of service, does not tell the user to taint it again', () => {
    const tainted = node('worker-3', { ready: 'Unknown', since: ago('25m'), taints: [{ key: 'node.kubernetes.io/out-of-service', value: 'nodeshutdown', effect: 'NoExecute', timeAdded: ago('5m') }] });
    const [f] = runCheck(check, [tainted, lease('worker-3', ago('25m')), ...story2()]);
    const remedies = f.remedies.join('\n');
    expect(remedies).toContain('Node worker-3 already has the out-of-service taint');
    expect(remedies).not.toContain('kubectl taint node worker-3 node.kubernetes.io/out-of-service=nodeshutdown:NoExecute');
    expect(remedies).toContain('kubectl taint node worker-3 node.kubernetes.io/out-of-service-');
  });

  it('names the pods that wait for the volume elsewhere (Deployment)', () => {
    const objects = [node('worker-1'), ...worker3Down(), ...boundVolume('shop', 'd', 'pv-a'), volumeAttachment({ pv: 'pv-a', node: 'worker-3' }),
      pod('shop', 'web-old', { node: 'worker-3', claims: ['d'], deletionTimestamp: ago('10m'), owner: { kind: 'ReplicaSet', name: 'web-1' } }),
      pod('shop', 'web-new', { node: 'worker-1', claims: ['d'], state: 'ContainerCreating', created: ago('9m') })];
    const [f] = runCheck(check, objects);
    expect(f.summary).toContain('shop/web-new cannot attach the volume');
    expect(f.blocks).toEqual([{ kind: 'Pod', namespace: 'shop', name: 'web-new' }]);
  });

  describe('stays quiet for', () => {
    it('a pod still inside its grace period', () => {
      const objects = [...worker3Down(), ...boundVolume('prod', 'data-db-0', 'pv'), pod('prod', 'db-0', { node: 'worker-3', claims: ['data-db-0'], deletionTimestamp: ago('-20s') })];
      expect(runCheck(check, objects)).toEqual([]);
    });
    it('a node that went NotReady seconds ago', () => {
      expect(runCheck(check, [...worker3Down('20s'), ...story2()])).toEqual([]);
    });
    it('a Ready node (the kubelet will finish the deletion)', () => {
      expect(runCheck(check, [node('worker-3'), lease('worker-3', ago('2s')), ...story2()])).toEqual([]);
    });
    it('a pod without volumes', () => {
      expect(runCheck(check, [...worker3Down(), pod('prod', 'stateless', { node: 'worker-3', deletionTimestamp: ago('10m') })])).toEqual([]);
    });
    it('a node object that is gone (pod GC force-deletes those pods)', () => {
      expect(runCheck(check, story2())).toEqual([]);
    });
  });
});
