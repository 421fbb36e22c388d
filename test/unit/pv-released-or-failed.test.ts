import { describe, expect, it } from 'vitest';
import { pvReleasedOrFailed } from '../../src/checks/pv-released-or-failed.js';
import { boundVolume, pv } from '../fixtures/builders.js';
import { pendingClaim } from '../fixtures/claims.js';
import { runCheck } from '../fixtures/run.js';

describe('pv-released-or-failed', () => {
  it('fires for a Released Retain volume: says it holds data and blocks the re-bind of a claim that names it', () => {
    const released = pv('pv-old', { claim: { namespace: 'shop', name: 'data' }, phase: 'Released', reclaimPolicy: 'Retain' });
    const again = pendingClaim('data', 'longhorn');
    again.spec.volumeName = 'pv-old';
    const [f] = runCheck(pvReleasedOrFailed, [released, again]);
    expect(f.severity).toBe('warning');
    expect(f.summary).toContain('still holds the data (Retain)');
    expect(f.summary).toContain('claim shop/data cannot bind to it');
    expect(f.remedies[0]).toContain('/spec/claimRef/uid');
  });
  it('fires for Failed', () => {
    expect(runCheck(pvReleasedOrFailed, [pv('pv-f', { claim: { namespace: 'a', name: 'b' }, phase: 'Failed' })])[0].summary).toContain('is Failed');
  });
  it('stays quiet for Bound', () => {
    expect(runCheck(pvReleasedOrFailed, [...boundVolume('a', 'b', 'pv-1')])).toEqual([]);
  });
});
