import { describe, expect, it } from 'vitest';
import { pvcTerminatingInUse } from '../../src/checks/pvc-terminating-in-use.js';
import { ago, boundVolume, pod } from '../fixtures/builders.js';
import { runCheck } from '../fixtures/run.js';

describe('pvc-terminating-in-use', () => {
  it('fires for a deleted claim, naming the pods that keep it', () => {
    const [pvObj, c] = boundVolume('shop', 'data', 'pv-1');
    c.metadata.deletionTimestamp = ago('30m');
    const [f] = runCheck(pvcTerminatingInUse, [pvObj, c, pod('shop', 'web-0', { node: 'worker-1', claims: ['data'] })]);
    expect(f.summary).toBe('Claim shop/data has been Terminating for 30m: pod shop/web-0 still uses it');
  });
  it('stays quiet when no pod uses it', () => {
    const [pvObj, c] = boundVolume('shop', 'data', 'pv-1');
    c.metadata.deletionTimestamp = ago('30m');
    expect(runCheck(pvcTerminatingInUse, [pvObj, c])).toEqual([]);
  });
  it('stays quiet for a deleted claim whose only pod has finished', () => {
    const [pvObj, c] = boundVolume('shop', 'data', 'pv-1');
    c.metadata.deletionTimestamp = ago('30m');
    const done = pod('shop', 'job-0', { node: 'worker-1', claims: ['data'] });
    done.status.phase = 'Succeeded';
    expect(runCheck(pvcTerminatingInUse, [pvObj, c, done])).toEqual([]);
  });
});
