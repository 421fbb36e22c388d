import { describe, expect, it } from 'vitest';
import { staleVolumeAttachment as check } from '../../src/checks/stale-volume-attachment.js';
import { ago, boundVolume, lease, node, pod, volumeAttachment } from '../fixtures/builders.js';
import { runCheck } from '../fixtures/run.js';
import { story1, story2 } from '../fixtures/stories.js';

describe('stale-volume-attachment', () => {
  it('fires for an attachment to a down node that no pod there uses, naming the blocked pod', () => {
    const objects = [node('worker-1'), node('worker-2', { ready: 'Unknown', since: ago('20m') }), lease('worker-2', ago('20m')), ...story1()];
    const [f, ...rest] = runCheck(check, objects);
    expect(rest).toEqual([]);
    expect(f.subject.kind).toBe('VolumeAttachment');
    expect(f.severity).toBe('warning');
    expect(f.summary).toContain('down node worker-2');
    expect(f.summary).toContain('blocking shop/web-7d9f6c-x2k4p');
    expect(f.evidence.join('\n')).toContain('no pod on worker-2 uses pvc-1d2c3b4a');
  });

  it('fires for an attachment to a node that no longer exists, with the delete command', () => {
    const objects = [node('worker-1'), ...boundVolume('a', 'c', 'pv-x'), volumeAttachment({ pv: 'pv-x', node: 'gone-node' })];
    const [f] = runCheck(check, objects);
    expect(f.summary).toContain('deleted node gone-node');
    expect(f.remedies.join('\n')).toMatch(/kubectl delete volumeattachment csi-[0-9a-f]{64}/);
  });

  it('fires on a Ready node tainted out-of-service', () => {
    const objects = [node('worker-4', { taints: [{ key: 'node.kubernetes.io/out-of-service', value: 'nodeshutdown', effect: 'NoExecute' }] }),
      ...boundVolume('a', 'c', 'pv-x'), volumeAttachment({ pv: 'pv-x', node: 'worker-4' })];
    expect(runCheck(check, objects)[0].summary).toContain('Ready but out-of-service node worker-4');
  });

  it('explains that a Terminating pod pins the attachment (story 2)', () => {
    const objects = [node('worker-3', { ready: 'Unknown', since: ago('25m') }), ...story2()];
    const [f] = runCheck(check, objects);
    expect(f.evidence.join('\n')).toContain('keeps the volume attached until this pod object is gone');
    expect(f.blocks).toEqual([{ kind: 'Pod', namespace: 'prod', name: 'db-0' }]);
  });

  describe('stays quiet for', () => {
    it('an attachment on a Ready node', () => {
      expect(runCheck(check, [node('worker-2'), ...story1()])).toEqual([]);
    });
    it('a node NotReady for seconds', () => {
      expect(runCheck(check, [node('worker-2', { ready: 'Unknown', since: ago('20s') }), ...story1()])).toEqual([]);
    });
    it('a down node whose running pod still needs the volume', () => {
      const objects = [node('worker-2', { ready: 'Unknown', since: ago('20m') }), ...boundVolume('a', 'c', 'pv-x'),
        volumeAttachment({ pv: 'pv-x', node: 'worker-2' }), pod('a', 'p', { node: 'worker-2', claims: ['c'] })];
      expect(runCheck(check, objects)).toEqual([]);
    });
    it('a dump that holds no Node objects: a missing node is not known to be deleted', () => {
      expect(runCheck(check, [...boundVolume('a', 'c', 'pv-x'), volumeAttachment({ pv: 'pv-x', node: 'worker-2' })])).toEqual([]);
    });
    it('attachments of other namespaces when diagnosing one namespace', () => {
      const objects = [...boundVolume('other', 'c', 'pv-x'), volumeAttachment({ pv: 'pv-x', node: 'gone-node' })];
      expect(runCheck(check, objects, undefined, 'shop')).toEqual([]);
    });
  });
});
