import { describe, expect, it } from 'vitest';
import { pvcExpansionStuck as check } from '../../src/checks/pvc-expansion-stuck.js';
import { classifyVolumeMessage } from '../../src/checks/classify-message.js';
import { diagnoseSnapshot } from '../../src/engine.js';
import type { Finding } from '../../src/model/finding.js';
import { ago, DRIVER, pod, podEvent, Raw, snapshotOf, storageClass, volumeAttachment } from '../fixtures/builders.js';
import { runCheck } from '../fixtures/run.js';
import { healthyNode, pvcEvent, REALWORLD, realWorldDump, resizingClaim } from '../fixtures/waiting.js';

const CLAIM = { kind: 'PersistentVolumeClaim', namespace: 'shop', name: 'data' };
const EXTERNAL = 'waiting for an external controller to expand this PVC';
const FS_PENDING = 'Waiting for user to (re-)start a pod to finish file system resize of volume on node.';
const OFFLINE = 'Unable to expand shop/data because CSI driver driver.longhorn.io only supports offline expansion and volume is currently in-use';

/** The whole engine, as a user runs it: every finding that names the claim. */
function aboutClaim(objects: Raw[]): Finding[] {
  return diagnoseSnapshot(snapshotOf(objects)).findings.filter((f) => [f.subject, ...f.related].some((r) => r.kind === CLAIM.kind && r.name === CLAIM.name && r.namespace === CLAIM.namespace));
}

/** A claim asking for 12Gi with 10Gi, whose PV the resizer has (or has not) already grown. */
function claim(o: Parameters<typeof resizingClaim>[3] & { pvCapacity?: string; allocated?: string; resizer?: string } = {}): Raw[] {
  const [v, c] = resizingClaim('shop', 'data', 'pv-a', o);
  if (o.pvCapacity) v.spec.capacity.storage = o.pvCapacity;
  if (o.allocated) c.status.allocatedResources = { storage: o.allocated };
  if (o.resizer) c.metadata.annotations = { 'volume.kubernetes.io/storage-resizer': o.resizer };
  return [v, c];
}

const web = (state: 'Running' | 'ContainerCreating' = 'Running', created = '3h') =>
  pod('shop', 'web-0', { node: 'worker-1', claims: ['data'], state, created: ago(created), owner: { kind: 'StatefulSet', name: 'web' } });

const base = () => [...healthyNode(), storageClass('longhorn')];

describe('pvc-expansion-stuck', () => {
  it('fires when the expand controller handed the claim over and nothing followed, saying no resizer runs', () => {
    const [v, c] = claim();
    const [f, ...rest] = runCheck(check, [...base(), v, c, pvcEvent(c, { reason: 'ExternalExpanding', type: 'Normal', message: EXTERNAL, first: ago('20m'), last: ago('20m'), component: 'volume_expand' })]);
    expect(rest).toEqual([]);
    expect(f.subject).toEqual(CLAIM);
    expect(f.severity).toBe('warning');
    expect(f.summary).toContain('Claim shop/data has been resizing from 10Gi to 12Gi for 20m');
    expect(f.summary).toContain('no csi-resizer is running for driver driver.longhorn.io, or the driver does not support expansion');
    expect(f.evidence.join('\n')).toContain(`event ExternalExpanding (Normal, x1, first ${ago('20m')}`);
    expect(f.remedies.join('\n')).toContain('grep -i -e resizer -e csi');
    // The request cannot simply go back: the API server refuses a request at or below status.capacity.
    expect(f.remedies.join('\n')).toContain('the request cannot go back to 10Gi either (the API server refuses a request at or below status.capacity');
    expect(f.since).toBe(ago('20m'));
  });

  it('reports a larger request that nothing has acted on, with its duration unknown, when no sign of a resize remains', () => {
    const [f] = runCheck(check, [...base(), ...claim()]);
    expect(f.severity).toBe('warning');
    expect(f.summary).toContain('(since when is unknown)');
    expect(f.summary).toContain('no resizer has acted on it');
    expect(f.since).toBeUndefined();
  });

  it('explains offline-only expansion: stop the pods that use the volume, then start them again', () => {
    const [v, c] = claim({ conditions: [{ type: 'Resizing', since: ago('12m') }] });
    const user = web();
    const [f] = runCheck(check, [...base(), v, c, user, volumeAttachment({ pv: 'pv-a', node: 'worker-1' }),
      pvcEvent(c, { reason: 'VolumeResizeFailed', message: OFFLINE, count: 6, first: ago('11m'), last: ago('1m') })]);
    expect(f.summary).toContain('can only expand a volume that is not in use (offline expansion), and pod shop/web-0 uses it');
    expect(f.evidence).toContain(`event VolumeResizeFailed (Warning, x6, first ${ago('11m')}, last ${ago('1m')}, from external-resizer driver.longhorn.io): ${OFFLINE}`);
    expect(f.evidence.join('\n')).toContain('cause (offline-expansion-only');
    expect(f.remedies[0]).toContain('kubectl scale statefulset web -n shop --replicas=0');
    expect(f.related).toContainEqual({ kind: 'Pod', namespace: 'shop', name: 'web-0' });
    // 12 minutes with an error, and the pod runs: not yet an outage.
    expect(f.severity).toBe('warning');
  });

  it('reads a bare FailedPrecondition from the resizer as offline-only expansion (as the resizer and the kubelet do)', () => {
    const message = 'resize volume "pv-a" by resizer "disk.csi.example.com" failed: rpc error: code = FailedPrecondition desc = volume vol-1 is published to node worker-1';
    expect(classifyVolumeMessage(message, { phase: 'resize' })?.id).toBe('offline-expansion-only');
    // Outside a resize the same code keeps its generic meaning.
    expect(classifyVolumeMessage(message.replace('resize volume', 'attach volume'), { phase: 'attach' })?.id).toBe('grpc-failed-precondition');
    const [v, c] = claim({ conditions: [{ type: 'ControllerResizeError', since: ago('30m'), message: `failed to expand pvc with ${message}` }] });
    const [f] = runCheck(check, [...base(), v, c, web()]);
    expect(f.summary).toContain('offline expansion');
    expect(f.severity).toBe('critical');
  });

  it('names a StorageClass without allowVolumeExpansion, and says how such a claim can exist', () => {
    const sc = storageClass('longhorn');
    delete sc.allowVolumeExpansion;
    const [v, c] = claim();
    const [f] = runCheck(check, [...healthyNode(), sc, v, c, pvcEvent(c, { reason: 'ExternalExpanding', type: 'Normal', message: EXTERNAL, first: ago('2h') })]);
    expect(f.summary).toContain('its StorageClass longhorn does not allow expansion');
    expect(f.evidence).toContain(`storageclass/longhorn: provisioner ${DRIVER}, allowVolumeExpansion false`);
    expect(f.explanation).toContain('the class was changed after the request was made');
    expect(f.remedies.join('\n')).toContain(`kubectl patch storageclass longhorn -p '{"allowVolumeExpansion":true}'`);
  });

  it('FileSystemResizePending with the pod running: names the pod and its node, and restarting it is the step', () => {
    const [v, c] = claim({ pvCapacity: '12Gi', conditions: [{ type: 'FileSystemResizePending', since: ago('30m'), message: FS_PENDING }], resizeStatus: 'NodeResizePending', allocated: '12Gi' });
    const [f] = runCheck(check, [...base(), v, c, web()]);
    expect(f.severity).toBe('warning');
    expect(f.summary).toContain('the volume has been expanded (the volume is now 12Gi), but the file system has not grown while pod shop/web-0 runs on worker-1');
    expect(f.evidence.join('\n')).toContain(`condition FileSystemResizePending=True (since ${ago('30m')}): ${FS_PENDING}`);
    expect(f.evidence.join('\n')).toContain('allocatedResources 12Gi, allocatedResourceStatuses NodeResizePending');
    expect(f.remedies[0]).toContain('kubectl delete pod web-0 -n shop (its StatefulSet web recreates it)');
  });

  it('FileSystemResizePending with no pod: starting one finishes it, nothing is broken', () => {
    const [v, c] = claim({ pvCapacity: '12Gi', conditions: [{ type: 'FileSystemResizePending', since: ago('2h'), message: FS_PENDING }] });
    const [f] = runCheck(check, [...base(), v, c]);
    expect(f.severity).toBe('warning');
    expect(f.summary).toContain('the file system grows when a pod mounts the claim, and no pod uses it');
    expect(f.remedies[0]).toContain('Start the workload that uses the claim');
  });

  it('an infeasible size: the resizer will not retry; lower the request to a reachable size above status.capacity', () => {
    const err = 'rpc error: code = OutOfRange desc = requested size 70000Gi exceeds the maximum volume size 65536Gi';
    const [v, c] = claim({ to: '70000Gi', resizeStatus: 'ControllerResizeInfeasible', allocated: '70000Gi', conditions: [{ type: 'ControllerResizeError', since: ago('2m'), message: `failed to expand pvc with ${err}` }] });
    // Infeasible is final, so the grace does not apply.
    const [f] = runCheck(check, [...base(), v, c]);
    expect(f.summary).toContain('the storage backend refused the expansion as infeasible (ControllerResizeInfeasible): 70000Gi cannot be reached');
    expect(f.summary).toContain(err);
    expect(f.evidence.join('\n')).toContain('cause (grpc-invalid-argument, gRPC OutOfRange');
    expect(f.remedies.join('\n')).toContain('RecoverVolumeExpansionFailure');
    expect(f.remedies.join('\n')).toContain('Lower the request to a size the backend can provide, larger than the current 10Gi');
    expect(f.remedies.join('\n')).toContain(`kubectl patch pvc data -n shop -p '{"spec":{"resources":{"requests":{"storage":"SIZE"}}}}'`);
  });

  it('quotes controller errors verbatim with their class, and turns critical after 15 minutes with an error', () => {
    const err = 'resize volume "pv-a" by resizer "driver.longhorn.io" failed: rpc error: code = Internal desc = Could not modify volume "vol-1": RequestLimitExceeded: Request limit exceeded.';
    const objects = (since: string) => {
      const [v, c] = claim({ conditions: [{ type: 'Resizing', since: ago(since) }] });
      return [...base(), v, c, pvcEvent(c, { reason: 'VolumeResizeFailed', message: err, count: 4, first: ago(since), last: ago('30s') })];
    };
    const [late] = runCheck(check, objects('20m'));
    expect(late.severity).toBe('critical');
    expect(late.summary).toContain(`the expansion fails in the storage backend (the resizer's ControllerExpandVolume): ${err}`);
    expect(late.evidence.join('\n')).toContain('cause (cloud-rate-limited');
    expect(late.remedies.join('\n')).toContain('csi-resizer container\'s logs');
    const [early] = runCheck(check, objects('10m'));
    expect(early.severity).toBe('warning');
  });

  it('is critical as soon as a pod waits because its file system cannot be grown (kubelet events on the pod)', () => {
    const [v, c] = claim({ pvCapacity: '12Gi', conditions: [{ type: 'FileSystemResizePending', since: ago('8m'), message: FS_PENDING }] });
    const p = web('ContainerCreating', '8m');
    const message = 'MountVolume.NodeExpandVolume failed for volume "pv-a" requested read-only file system';
    const [f] = runCheck(check, [...base(), v, c, p, podEvent(p, { reason: 'FileSystemResizeFailed', message, count: 5, first: ago('7m'), last: ago('1m'), component: 'kubelet' })]);
    expect(f.severity).toBe('critical');
    expect(f.summary).toContain('the expansion fails on the node');
    expect(f.summary).toContain('shop/web-0 cannot start');
    expect(f.evidence.join('\n')).toContain(`on pod shop/web-0): ${message}`);
    expect(f.evidence.join('\n')).toContain('cause (resize-read-only');
    expect(f.blocks).toEqual([{ kind: 'Pod', namespace: 'shop', name: 'web-0' }]);
  });

  it('a resize the resizer started and never finished (ControllerResizeInProgress)', () => {
    const [v, c] = claim({ resizeStatus: 'ControllerResizeInProgress', allocated: '12Gi', conditions: [{ type: 'Resizing', since: ago('25m') }], resizer: 'driver.longhorn.io' });
    const [f] = runCheck(check, [...base(), v, c]);
    expect(f.severity).toBe('warning');
    expect(f.summary).toContain('the resizer started expanding the volume (ControllerResizeInProgress) and has not finished');
    expect(f.evidence[0]).toContain('resizer driver.longhorn.io');
  });

  it('NodeResizeInProgress past the grace points at the node', () => {
    const [v, c] = claim({ pvCapacity: '12Gi', resizeStatus: 'NodeResizeInProgress', allocated: '12Gi', conditions: [{ type: 'FileSystemResizePending', since: ago('25m') }] });
    // FileSystemResizePending stays while the kubelet works; the status says it has started.
    const [f] = runCheck(check, [...base(), v, c, web()]);
    expect(f.summary).toContain('file system');
  });

  describe('the real expansion messages: each dump now gets this check\'s finding, naming the claim', () => {
    const expansion = REALWORLD.filter((m) => m.family === 'expansion' && (m.where === 'pvc-event' || m.where === 'pod-event'));
    it('covers the claim-event and pod-event messages', () => {
      expect(expansion.map((m) => m.where).sort()).toEqual(['pod-event', 'pvc-event']);
    });
    for (const m of expansion) {
      it(`${m.where} ${m.reason}: ${m.message.slice(0, 60)}`, () => {
        const dump = realWorldDump(m);
        // Where the message is the kubelet's, the claim is where Kubernetes leaves it: the volume grown, the file system not.
        if (m.where === 'pod-event') {
          const c = dump.objects.find((o) => o.kind === 'PersistentVolumeClaim');
          c.spec.resources.requests.storage = '12Gi';
          c.status.conditions = [{ type: 'FileSystemResizePending', status: 'True', lastTransitionTime: ago('40m'), message: FS_PENDING }];
          dump.objects.find((o) => o.kind === 'PersistentVolume').spec.capacity.storage = '12Gi';
        }
        const mine = diagnoseSnapshot(snapshotOf(dump.objects)).findings.filter((f) => f.check === check.id);
        expect(mine).toHaveLength(1);
        expect(mine[0].subject).toEqual({ kind: 'PersistentVolumeClaim', namespace: 'rw', name: 'data' });
        expect(mine[0].severity).toBe('critical');
        expect([mine[0].summary, ...mine[0].evidence].some((t) => t.includes(m.message))).toBe(true);
        expect(mine[0].evidence.join('\n')).toMatch(/cause \(offline-expansion-only|cause \(online-resize-refused/);
      });
    }
    it('a pod that cannot mount because growing its file system fails is explained even when the claim\'s sizes look done', () => {
      const m = expansion.find((x) => x.where === 'pod-event')!;
      const mine = diagnoseSnapshot(snapshotOf(realWorldDump(m).objects)).findings.filter((f) => f.check === check.id);
      expect(mine.map((f) => [f.subject.name, f.severity])).toEqual([['data', 'critical']]);
      expect(mine[0].summary).toContain('Claim rw/data has had its file system resize failing on the node for 35m: the expansion fails on the node');
      expect(mine[0].blocks).toEqual([{ kind: 'Pod', namespace: 'rw', name: 'app-0' }]);
    });
  });

  describe('stays quiet (the whole engine says nothing about the claim) for', () => {
    it('a resize progressing within the grace', () => {
      const [v, c] = claim({ resizeStatus: 'ControllerResizeInProgress', allocated: '12Gi', conditions: [{ type: 'Resizing', since: ago('3m') }] });
      expect(aboutClaim([...base(), v, c, web(),
        pvcEvent(c, { reason: 'ExternalExpanding', type: 'Normal', message: EXTERNAL, first: ago('3m'), component: 'volume_expand' }),
        pvcEvent(c, { reason: 'Resizing', type: 'Normal', message: 'External resizer is resizing volume pv-a', first: ago('3m') }),
        pvcEvent(c, { reason: 'VolumeResizeFailed', message: 'resize volume "pv-a" by resizer "driver.longhorn.io" failed: rpc error: code = Aborted desc = an operation with the given Volume ID pv-a already exists', first: ago('2m') })])).toEqual([]);
    });
    it('a claim whose capacity already meets the request', () => {
      const [v, c] = claim({ from: '12Gi', to: '12Gi', pvCapacity: '12Gi' });
      expect(aboutClaim([...base(), v, c, web(), pvcEvent(c, { reason: 'FileSystemResizeSuccessful', type: 'Normal', message: 'MountVolume.NodeExpandVolume succeeded for volume "pv-a" worker-1', component: 'kubelet' })])).toEqual([]);
    });
    it('a claim with an old VolumeResizeFailed event whose capacity has since been reached', () => {
      const [v, c] = claim({ from: '12Gi', to: '12Gi', pvCapacity: '12Gi' });
      expect(aboutClaim([...base(), v, c, web(), pvcEvent(c, { reason: 'VolumeResizeFailed', message: OFFLINE, count: 30, first: ago('50m'), last: ago('40m') })])).toEqual([]);
    });
    it('a new resize within the grace, after an earlier one failed and then succeeded', () => {
      const [v, c] = claim({ from: '12Gi', to: '14Gi', conditions: [{ type: 'Resizing', since: ago('1m') }] });
      expect(aboutClaim([...base(), v, c, web(),
        pvcEvent(c, { reason: 'VolumeResizeFailed', message: OFFLINE, first: ago('50m'), last: ago('45m') }),
        pvcEvent(c, { reason: 'VolumeResizeSuccessful', type: 'Normal', message: 'Resize volume succeeded', first: ago('44m') })])).toEqual([]);
    });
    it('resize events of an earlier claim with the same name', () => {
      const [v, c] = claim({ conditions: [{ type: 'Resizing', since: ago('2m') }] });
      const old = pvcEvent(c, { reason: 'VolumeResizeFailed', message: OFFLINE, first: ago('50m'), last: ago('1m') });
      old.involvedObject.uid = 'an-earlier-claim';
      expect(aboutClaim([...base(), v, c, old])).toEqual([]);
    });
    it('a pod running after an old FileSystemResizeFailed, with the claim at its size', () => {
      const [v, c] = claim({ from: '12Gi', to: '12Gi', pvCapacity: '12Gi' });
      const p = web();
      expect(aboutClaim([...base(), v, c, p, podEvent(p, { reason: 'FileSystemResizeFailed', message: 'MountVolume.NodeExpandVolume failed for volume "pv-a" requested read-only file system', last: ago('2h') })])).toEqual([]);
    });
  });
});
