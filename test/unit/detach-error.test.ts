import { describe, expect, it } from 'vitest';
import { detachError } from '../../src/checks/detach-error.js';
import { boundVolume, node, volumeAttachment } from '../fixtures/builders.js';
import { runCheck } from '../fixtures/run.js';
import { story4 } from '../fixtures/stories.js';

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
