import { describe, expect, it } from 'vitest';
import { pvTerminating } from '../../src/checks/pv-terminating.js';
import { ago, boundVolume, volumeAttachment } from '../fixtures/builders.js';
import { runCheck } from '../fixtures/run.js';

describe('pv-terminating', () => {
  it('fires for a volume deleting for an hour, naming the finalizers and what holds them', () => {
    const [pvObj, c] = boundVolume('shop', 'data', 'pv-1');
    pvObj.metadata.deletionTimestamp = ago('1h');
    const [f] = runCheck(pvTerminating, [pvObj, c, volumeAttachment({ pv: 'pv-1', node: 'worker-1' })]);
    expect(f.summary).toContain('claim shop/data is still bound to it');
    expect(f.summary).toContain('it is still attached');
    expect(f.evidence[0]).toContain('external-attacher/driver-longhorn-io');
  });
  it('stays quiet for a volume not being deleted, and one deleted seconds ago', () => {
    const [pvObj, c] = boundVolume('shop', 'data', 'pv-1');
    expect(runCheck(pvTerminating, [pvObj, c])).toEqual([]);
    pvObj.metadata.deletionTimestamp = ago('30s');
    expect(runCheck(pvTerminating, [pvObj, c, volumeAttachment({ pv: 'pv-1', node: 'worker-1' })])).toEqual([]);
  });
});
