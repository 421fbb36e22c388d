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
  it('is a warning when no pod waits', () => {
    const objects = [node('worker-1'), ...boundVolume('a', 'c', 'pv-a'), volumeAttachment({ pv: 'pv-a', node: 'worker-1', attached: false, attachError: { time: ago('1m'), message: 'boom' } })];
    expect(runCheck(attachError, objects)[0].severity).toBe('warning');
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
  });
  it('stays quiet without a detach error', () => {
    expect(runCheck(detachError, [...boundVolume('a', 'c', 'pv-a'), volumeAttachment({ pv: 'pv-a', node: 'worker-1' })])).toEqual([]);
  });
});
