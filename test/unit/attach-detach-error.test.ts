import { describe, expect, it } from 'vitest';
import { attachError } from '../../src/checks/attach-error.js';
import { detachError } from '../../src/checks/detach-error.js';
import { ago, boundVolume, node, pod, volumeAttachment } from '../fixtures/builders.js';
import { runCheck } from '../fixtures/run.js';
import { attachFails, story4 } from '../fixtures/stories.js';

describe('attach-error', () => {
  it('fires with the driver error and the pod waiting on that node', () => {
    const [f] = runCheck(attachError, [node('worker-1'), ...attachFails()]);
    expect(f.severity).toBe('critical');
    expect(f.summary).toContain('not ready for workloads');
    expect(f.summary).toContain('search/index-0 waits');
  });
  it('says what the error means and the next step, under the verbatim error', () => {
    const [f] = runCheck(attachError, [node('worker-1'), ...attachFails()]);
    const evidence = f.evidence.join('\n');
    expect(evidence).toContain('status.attachError');
    expect(evidence).toContain('rpc error: code = Internal desc = volume pvc-3c3c3c3c is not ready for workloads');
    expect(evidence).toContain('cause (longhorn-volume-not-ready, gRPC Internal');
    expect(f.explanation).toContain('Likely cause: the Longhorn volume is not ready for workloads');
    expect(f.remedies[0]).toContain('volumes.longhorn.io');
    expect(f.remedies.at(-1)).toContain('Do not delete the VolumeAttachment');
  });
  it('is a warning when no pod waits, and says when it does not know the error', () => {
    const objects = [node('worker-1'), ...boundVolume('a', 'c', 'pv-a'), volumeAttachment({ pv: 'pv-a', node: 'worker-1', attached: false, attachError: { time: ago('1m'), message: 'boom' } })];
    const [f] = runCheck(attachError, objects);
    expect(f.severity).toBe('warning');
    expect(f.evidence.join('\n')).toContain('status.attachError');
    expect(f.evidence.join('\n')).toContain(': boom');
    expect(f.evidence.join('\n')).toContain('not classified');
    expect(f.explanation).not.toContain('Likely cause');
    expect(f.remedies[0]).toContain('Fix what the error names');
  });
  it('stays quiet once the volume is attached (an old error left in status)', () => {
    const objects = [...boundVolume('a', 'c', 'pv-a'), volumeAttachment({ pv: 'pv-a', node: 'worker-1', attached: true, attachError: { time: ago('1h'), message: 'old' } }),
      pod('a', 'p', { node: 'worker-1', claims: ['c'] })];
    expect(runCheck(attachError, objects)).toEqual([]);
  });
});

describe('detach-error', () => {
  it('fires for story 4 with the error and the waiting pod', () => {
    const [f] = runCheck(detachError, [node('worker-1'), ...story4()]);
    expect(f.severity).toBe('critical');
    expect(f.summary).toContain('Detaching pvc-4b4b4b4b from worker-1 fails');
    expect(f.evidence.join('\n')).toContain('status.detachError');
    expect(f.evidence.join('\n')).toContain('cause (backend-volume-busy');
    expect(f.explanation).toContain('Likely cause: the backend reports the volume busy');
    expect(f.remedies[0]).toContain('old machine has stopped using the volume');
  });
  it('stays quiet without a detach error', () => {
    expect(runCheck(detachError, [...boundVolume('a', 'c', 'pv-a'), volumeAttachment({ pv: 'pv-a', node: 'worker-1' })])).toEqual([]);
  });
});
