import { describe, expect, it } from 'vitest';
import { pvcPending } from '../../src/checks/pvc-pending.js';
import { pvcTerminatingInUse } from '../../src/checks/pvc-terminating-in-use.js';
import { pvcLost } from '../../src/checks/pvc-lost.js';
import { pvReleasedOrFailed } from '../../src/checks/pv-released-or-failed.js';
import { pvTerminating } from '../../src/checks/pv-terminating.js';
import { csiDriverNotRegistered } from '../../src/checks/csi-driver-not-registered.js';
import { nodeDownWithVolumes } from '../../src/checks/node-down-with-volumes.js';
import { ago, boundVolume, csiDriver, csiNode, DRIVER, lease, node, pod, pv, pvc, Raw, storageClass, volumeAttachment } from '../fixtures/builders.js';
import { runCheck } from '../fixtures/run.js';
import { story1 } from '../fixtures/stories.js';

function pendingClaim(name: string, storageClassName?: string | null, created = '10m'): Raw {
  const c = pvc('shop', name, '', ['ReadWriteOnce']);
  delete c.spec.volumeName;
  if (storageClassName === null) delete c.spec.storageClassName;
  else c.spec.storageClassName = storageClassName;
  c.status = { phase: 'Pending' };
  c.metadata.creationTimestamp = ago(created);
  return c;
}

function pvcEvent(claim: Raw, reason: string, message: string, type = 'Warning'): Raw {
  return {
    apiVersion: 'v1', kind: 'Event', metadata: { name: `${claim.metadata.name}.1`, namespace: claim.metadata.namespace, creationTimestamp: ago('1m') },
    involvedObject: { kind: 'PersistentVolumeClaim', namespace: claim.metadata.namespace, name: claim.metadata.name, uid: claim.metadata.uid },
    reason, message, type, count: 3, firstTimestamp: ago('9m'), lastTimestamp: ago('1m'),
    source: { component: reason === 'ExternalProvisioning' || reason === 'WaitForFirstConsumer' ? 'persistentvolume-controller' : `${DRIVER}_csi-provisioner-0` },
  };
}

describe('pvc-pending', () => {
  it('quotes ProvisioningFailed and names the pod that cannot start', () => {
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

describe('pvc-terminating-in-use', () => {
  it('names the pods that keep a deleted claim', () => {
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
});

describe('pvc-lost', () => {
  it('fires for a Lost claim whose volume is gone', () => {
    const c = pvc('shop', 'data', 'pv-gone');
    c.status.phase = 'Lost';
    const [f] = runCheck(pvcLost, [c, pvcEvent(c, 'ClaimLost', 'Bound claim has lost its PersistentVolume. Data on the volume is lost!')]);
    expect(f.severity).toBe('critical');
    expect(f.evidence.join('\n')).toContain('(no such PersistentVolume)');
    expect(f.evidence.join('\n')).toContain('Data on the volume is lost!');
  });
});

describe('pv-released-or-failed', () => {
  it('says a Released Retain volume holds data and blocks the re-bind of a claim that names it', () => {
    const released = pv('pv-old', { claim: { namespace: 'shop', name: 'data' }, phase: 'Released', reclaimPolicy: 'Retain' });
    const again = pendingClaim('data', 'longhorn');
    again.spec.volumeName = 'pv-old';
    const [f] = runCheck(pvReleasedOrFailed, [released, again]);
    expect(f.severity).toBe('warning');
    expect(f.summary).toContain('still holds the data (Retain)');
    expect(f.summary).toContain('claim shop/data cannot bind to it');
    expect(f.remedies[0]).toContain('/spec/claimRef/uid');
  });
  it('fires for Failed and stays quiet for Bound', () => {
    expect(runCheck(pvReleasedOrFailed, [pv('pv-f', { claim: { namespace: 'a', name: 'b' }, phase: 'Failed' })])[0].summary).toContain('is Failed');
    expect(runCheck(pvReleasedOrFailed, [...boundVolume('a', 'b', 'pv-1')])).toEqual([]);
  });
});

describe('pv-terminating', () => {
  it('names the finalizers and what holds them', () => {
    const [pvObj, c] = boundVolume('shop', 'data', 'pv-1');
    pvObj.metadata.deletionTimestamp = ago('1h');
    const [f] = runCheck(pvTerminating, [pvObj, c, volumeAttachment({ pv: 'pv-1', node: 'worker-1' })]);
    expect(f.summary).toContain('claim shop/data is still bound to it');
    expect(f.summary).toContain('it is still attached');
    expect(f.evidence[0]).toContain('external-attacher/driver-longhorn-io');
  });
});

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

describe('node-down-with-volumes', () => {
  it('summarises one down node: its volumes and the pods they block', () => {
    const objects = [node('worker-1'), node('worker-2', { ready: 'Unknown', since: ago('20m') }), lease('worker-2', ago('20m')), ...story1()];
    const [f, ...rest] = runCheck(nodeDownWithVolumes, objects);
    expect(rest).toEqual([]);
    expect(f.subject).toEqual({ kind: 'Node', name: 'worker-2' });
    expect(f.summary).toContain('with 1 volume attached, blocking shop/web-7d9f6c-x2k4p');
  });
  it('stays quiet for a down node without volumes, and a node down for seconds', () => {
    expect(runCheck(nodeDownWithVolumes, [node('worker-2', { ready: 'Unknown', since: ago('20m') })])).toEqual([]);
    expect(runCheck(nodeDownWithVolumes, [node('worker-1'), node('worker-2', { ready: 'Unknown', since: ago('20s') }), ...story1()])).toEqual([]);
  });
});
