import { describe, expect, it } from 'vitest';
import { pvcPending } from '../../src/checks/pvc-pending.js';
import { boundVolume, csiDriver, csiNode, DRIVER, pod, storageClass } from '../fixtures/builders.js';
import { pendingClaim, pvcEvent } from '../fixtures/claims.js';
import { runCheck } from '../fixtures/run.js';

describe('pvc-pending', () => {
  it('fires when provisioning fails: quotes ProvisioningFailed and names the pod that cannot start', () => {
    const c = pendingClaim('data', 'longhorn');
    const objects = [storageClass('longhorn'), c, pvcEvent(c, 'ProvisioningFailed', 'failed to provision volume with StorageClass "longhorn": rpc error: code = Internal desc = insufficient storage'),
      pod('shop', 'web-0', { node: 'worker-1', claims: ['data'], state: 'Unscheduled' })];
    const [f] = runCheck(pvcPending, objects);
    expect(f.severity).toBe('critical');
    expect(f.summary).toContain('provisioning failed: failed to provision volume with StorageClass "longhorn": rpc error: code = Internal desc = insufficient storage');
    expect(f.summary).toContain('shop/web-0 cannot start');
    expect(f.evidence.join('\n')).toContain('cause (insufficient-capacity, gRPC Internal');
    expect(f.explanation).toContain('Likely cause of the provisioning failure: the storage has no room');
    expect(f.remedies[0]).toContain('Free or add capacity');
  });

  it('links a generic ephemeral volume to the claim the ephemeral volume controller made for it (<pod>-<volume>)', () => {
    const c = pendingClaim('runner-7f9c-scratch', 'longhorn');
    const p = pod('shop', 'runner-7f9c', { node: 'worker-1', state: 'Unscheduled' });
    p.spec.volumes.unshift({ name: 'scratch', ephemeral: { volumeClaimTemplate: { spec: { accessModes: ['ReadWriteOnce'], storageClassName: 'longhorn', resources: { requests: { storage: '1Gi' } } } } } });
    const [f] = runCheck(pvcPending, [storageClass('longhorn'), c, pvcEvent(c, 'ProvisioningFailed', 'failed to provision volume with StorageClass "longhorn": rpc error: code = Internal desc = insufficient storage'), p]);
    expect(f.summary).toContain('shop/runner-7f9c cannot start');
    expect(f.blocks).toEqual([{ kind: 'Pod', namespace: 'shop', name: 'runner-7f9c' }]);
  });

  it('adds the cause of a known provisioning error and says when it does not know one', () => {
    const c = pendingClaim('data', 'local-path');
    const known = runCheck(pvcPending, [storageClass('local-path'), c, pvcEvent(c, 'ProvisioningFailed', 'failed to provision volume with StorageClass "local-path": configuration error, no node was specified')])[0];
    expect(known.evidence.join('\n')).toContain('configuration error, no node was specified');
    expect(known.remedies[0]).toContain('WaitForFirstConsumer');
    const unknown = runCheck(pvcPending, [storageClass('local-path'), c, pvcEvent(c, 'ProvisioningFailed', 'failed to provision volume with StorageClass "local-path": the flux capacitor is misaligned')])[0];
    expect(unknown.summary).toContain('the flux capacitor is misaligned');
    expect(unknown.evidence.join('\n')).toContain('not classified');
    expect(unknown.explanation).not.toContain('Likely cause');
  });

  it('spots a missing StorageClass and a missing default class', () => {
    expect(runCheck(pvcPending, [storageClass('fast'), pendingClaim('data', 'slow')])[0].summary).toContain('StorageClass "slow" does not exist');
    expect(runCheck(pvcPending, [storageClass('fast'), pendingClaim('data', null)])[0].summary).toContain('no default StorageClass');
  });

  it('names a provisioner whose CSI driver is not installed, or not registered on any node', () => {
    const c = pendingClaim('data', 'ebs');
    const wait = pvcEvent(c, 'ExternalProvisioning', 'Waiting for a volume to be created either by the external provisioner \'ebs.csi.aws.com\' or manually by the system administrator. If volume creation is delayed, please verify that the provisioner is running and correctly registered.', 'Normal');
    wait.message = 'waiting for a volume to be created, either by external provisioner "ebs.csi.aws.com" or manually created by system administrator';
    const missing = runCheck(pvcPending, [storageClass('ebs', 'ebs.csi.aws.com'), csiNode('worker-1', [DRIVER]), c, wait])[0];
    expect(missing.summary).toContain('no CSI driver ebs.csi.aws.com is installed');
    const unregistered = runCheck(pvcPending, [storageClass('ebs', 'ebs.csi.aws.com'), csiDriver('ebs.csi.aws.com'), csiNode('worker-1', [DRIVER]), c, wait])[0];
    expect(unregistered.summary).toContain('registered on no node');
  });

  it('treats WaitForFirstConsumer without a pod as context only', () => {
    const sc = storageClass('local');
    sc.volumeBindingMode = 'WaitForFirstConsumer';
    const [f] = runCheck(pvcPending, [sc, pendingClaim('data', 'local')]);
    expect(f.severity).toBe('info');
  });

  it('stays quiet for a claim created seconds ago, and for a bound claim', () => {
    expect(runCheck(pvcPending, [storageClass('longhorn'), pendingClaim('data', 'longhorn', '20s')])).toEqual([]);
    expect(runCheck(pvcPending, [...boundVolume('shop', 'data', 'pv-1')])).toEqual([]);
  });
});
