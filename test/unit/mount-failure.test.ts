import { describe, expect, it } from 'vitest';
import { mountFailure as check } from '../../src/checks/mount-failure.js';
import { ago, boundVolume, node, pod, podEvent } from '../fixtures/builders.js';
import { runCheck } from '../fixtures/run.js';
import { nfsTimeout } from '../fixtures/stories.js';

const nfsEvent = (p: ReturnType<typeof pod>, output: string, args = '-t nfs 10.0.0.50:/exports/reports') => podEvent(p, {
  reason: 'FailedMount',
  message: `MountVolume.SetUp failed for volume "reports" : mount failed: exit status 32\nMounting command: mount\nMounting arguments: ${args} /var/lib/kubelet/pods/${p.metadata.uid}/volumes/kubernetes.io~nfs/reports\nOutput: ${output}\n`,
});
const waiting = () => pod('reports', 'r-0', { node: 'worker-1', state: 'ContainerCreating', nfs: { volume: 'reports', server: '10.0.0.50', path: '/exports/reports' } });

describe('mount-failure', () => {
  it('fires for an NFS timeout, naming the server and export', () => {
    const [f] = runCheck(check, [node('worker-1'), ...nfsTimeout()]);
    expect(f.severity).toBe('critical');
    expect(f.summary).toBe('Pod reports/report-builder-0 cannot mount volume reports from NFS server 10.0.0.50, export /exports/reports on worker-1: the NFS server does not answer (connection timed out)');
    expect(f.evidence[0]).toContain('x7');
  });

  it.each([
    ['mount.nfs: Stale file handle', 'stale file handle'],
    ['mount.nfs: access denied by server while mounting 10.0.0.50:/exports/reports', 'access denied by the server'],
    ['mount.nfs: No route to host', 'unreachable from the node'],
    ['mount.nfs: Connection refused', 'refused the connection'],
  ])('recognises "%s"', (output, expected) => {
    const p = waiting();
    const [f] = runCheck(check, [p, nfsEvent(p, output)]);
    expect(f.summary).toContain(expected);
    expect(f.summary).toContain('10.0.0.50');
    expect(f.evidence.join('\n')).toContain('cause (nfs-');
    expect(f.explanation).not.toContain('Likely cause'); // the summary already names it
  });

  it('reads the server from mount options too', () => {
    const p = waiting();
    const [f] = runCheck(check, [p, nfsEvent(p, 'mount.nfs: Connection timed out', '-t nfs -o hard,nfsvers=4.1 nas.example:/vol/data')]);
    expect(f.summary).toContain('NFS server nas.example, export /vol/data');
  });

  it('quotes other mount errors as they are', () => {
    const objects = [...boundVolume('a', 'c', 'pv-a')];
    const p = pod('a', 'p', { node: 'worker-1', claims: ['c'], state: 'ContainerCreating' });
    const [f] = runCheck(check, [...objects, p, podEvent(p, { reason: 'FailedMount', message: 'MountVolume.MountDevice failed for volume "pv-a" : rpc error: code = Internal desc = format of disk failed' })]);
    expect(f.summary).toContain('format of disk failed');
    expect(f.related).toContainEqual({ kind: 'PersistentVolume', name: 'pv-a' });
    expect(f.evidence.join('\n')).toContain('cause (grpc-internal, gRPC Internal, low confidence)');
  });

  it('adds the cause and next step of a known mount error, keeping the quote', () => {
    const objects = [...boundVolume('a', 'c', 'pv-a')];
    const p = pod('a', 'p', { node: 'worker-1', claims: ['c'], state: 'ContainerCreating' });
    const message = 'MountVolume.MountDevice failed for volume "pv-a" : kubernetes.io/csi: attacher.MountDevice failed to create newCsiDriverClient: driver name fsx.csi.aws.com not found in the list of registered CSI drivers';
    const [f] = runCheck(check, [...objects, p, podEvent(p, { reason: 'FailedMount', message })]);
    expect(f.severity).toBe('critical');
    expect(f.summary).toContain('driver name fsx.csi.aws.com not found in the list of registered CSI drivers');
    expect(f.evidence[0]).toContain(message);
    expect(f.evidence.join('\n')).toContain('cause (csi-driver-not-registered');
    expect(f.explanation).toContain('Likely cause: the CSI driver fsx.csi.aws.com is not registered with the kubelet on this node');
    expect(f.remedies[0]).toContain('kubectl get csinode');
  });

  it('says so when it does not know a mount error', () => {
    const p = pod('a', 'p', { node: 'worker-1', state: 'ContainerCreating' });
    const [f] = runCheck(check, [p, podEvent(p, { reason: 'FailedMount', message: 'MountVolume.SetUp failed for volume "data" : the flux capacitor is misaligned' })]);
    expect(f.summary).toContain('the flux capacitor is misaligned');
    expect(f.evidence.join('\n')).toContain('not classified');
    expect(f.remedies[0]).toBe('Fix what the mount error names; the kubelet retries by itself.');
  });

  it('classifies the newest specific error behind the kubelet\'s generic timeout', () => {
    const p = pod('a', 'p', { node: 'worker-1', state: 'ContainerCreating' });
    const specific = podEvent(p, { reason: 'FailedMount', message: 'MountVolume.MountDevice failed for volume "data" : rpc error: code = Internal desc = rbd image rbd/csi-vol-1 is still being used' });
    specific.metadata.name = 'p.specific';
    specific.lastTimestamp = ago('3m');
    const generic = podEvent(p, { reason: 'FailedMount', message: 'Unable to attach or mount volumes: unmounted volumes=[data], unattached volumes=[]: timed out waiting for the condition' });
    generic.lastTimestamp = ago('1m');
    const [f] = runCheck(check, [p, specific, generic]);
    expect(f.evidence.join('\n')).toContain('cause (rbd-image-in-use');
    expect(f.remedies[0]).toContain('rbd status');
  });

  describe('the generic kubelet timeout', () => {
    const timeout = 'Unable to attach or mount volumes: unmounted volumes=[sso-mysql-pvol], unattached volumes=[sso-mysql-pvol default-token-x4rzc]: timed out waiting for the condition';
    it('is critical for a pod blocked 35 minutes, and quotes the message', () => {
      const p = pod('a', 'p', { node: 'worker-1', state: 'ContainerCreating', created: ago('35m') });
      const [f] = runCheck(check, [p, podEvent(p, { reason: 'FailedMount', message: timeout, count: 15, first: ago('33m'), last: ago('1m') })]);
      expect(f.severity).toBe('critical');
      expect(f.evidence.join('\n')).toContain(timeout);
      expect(f.explanation).toContain('waited 35m');
    });
    it('is a warning, not context, for a pod blocked a few minutes', () => {
      const p = pod('a', 'p', { node: 'worker-1', state: 'ContainerCreating', created: ago('4m') });
      const [f] = runCheck(check, [p, podEvent(p, { reason: 'FailedMount', message: timeout, last: ago('1m') })]);
      expect(f.severity).toBe('warning');
    });
  });

  describe('stays quiet for', () => {
    it('old events about a pod that has since started', () => {
      const p = pod('reports', 'r-0', { node: 'worker-1' });
      expect(runCheck(check, [p, nfsEvent(p, 'mount.nfs: Connection timed out')])).toEqual([]);
    });
    it('events about a deleted pod', () => {
      const p = waiting();
      expect(runCheck(check, [nfsEvent(p, 'mount.nfs: Connection timed out')])).toEqual([]);
    });
    it('events of an earlier pod with the same name', () => {
      const old = waiting();
      const now = pod('reports', 'r-0', { node: 'worker-1', state: 'ContainerCreating', created: ago('10s') });
      expect(runCheck(check, [now, nfsEvent(old, 'mount.nfs: Connection timed out')])).toEqual([]);
    });
  });
});
