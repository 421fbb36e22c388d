import { describe, expect, it } from 'vitest';
import { pvcLost } from '../../src/checks/pvc-lost.js';
import { boundVolume, pvc } from '../fixtures/builders.js';
import { pendingClaim, pvcEvent } from '../fixtures/claims.js';
import { runCheck } from '../fixtures/run.js';

describe('pvc-lost', () => {
  it('fires for a Lost claim whose volume is gone', () => {
    const c = pvc('shop', 'data', 'pv-gone');
    c.status.phase = 'Lost';
    const [f] = runCheck(pvcLost, [c, pvcEvent(c, 'ClaimLost', 'Bound claim has lost its PersistentVolume. Data on the volume is lost!')]);
    expect(f.severity).toBe('critical');
    expect(f.evidence.join('\n')).toContain('(no such PersistentVolume)');
    expect(f.evidence.join('\n')).toContain('Data on the volume is lost!');
  });
  it('stays quiet for a Bound claim, and for a Pending one', () => {
    expect(runCheck(pvcLost, [...boundVolume('shop', 'data', 'pv-1')])).toEqual([]);
    expect(runCheck(pvcLost, [pendingClaim('data', 'longhorn')])).toEqual([]);
  });
});
