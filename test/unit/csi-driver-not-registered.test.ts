import { describe, expect, it } from 'vitest';
import { csiDriverNotRegistered } from '../../src/checks/csi-driver-not-registered.js';
import { boundVolume, csiNode, DRIVER, pod } from '../fixtures/builders.js';
import { runCheck } from '../fixtures/run.js';

describe('csi-driver-not-registered', () => {
  it('fires when the node\'s CSINode lacks the volume\'s driver', () => {
    const objects = [csiNode('worker-1', ['other.csi.io']), ...boundVolume('shop', 'data', 'pv-1'), pod('shop', 'web-0', { node: 'worker-1', claims: ['data'], state: 'ContainerCreating' })];
    const [f] = runCheck(csiDriverNotRegistered, objects);
    expect(f.summary).toBe(`Pod shop/web-0 cannot mount pv-1: CSI driver ${DRIVER} is not registered on node worker-1`);
  });
  it('stays quiet when the driver is registered, or the pod runs', () => {
    expect(runCheck(csiDriverNotRegistered, [csiNode('worker-1'), ...boundVolume('shop', 'data', 'pv-1'), pod('shop', 'w', { node: 'worker-1', claims: ['data'], state: 'ContainerCreating' })])).toEqual([]);
    expect(runCheck(csiDriverNotRegistered, [csiNode('worker-1', []), ...boundVolume('shop', 'data', 'pv-1'), pod('shop', 'w', { node: 'worker-1', claims: ['data'] })])).toEqual([]);
  });
});
