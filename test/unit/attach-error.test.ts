import { describe, expect, it } from 'vitest';
import { attachError } from '../../src/checks/attach-error.js';
import { ago, boundVolume, node, pod, podEvent, volumeAttachment } from '../fixtures/builders.js';
import { lhVolume } from '../fixtures/longhorn.js';
import { runCheck } from '../fixtures/run.js';
import { attachFails } from '../fixtures/stories.js';

describe('attach-error', () => {
  it('fires with the driver error and the pod waiting on that node', () => {
    const [f] = runCheck(attachError, [node('worker-1'), ...attachFails()]);
    expect(f.severity).toBe('critical');
    expect(f.summary).toContain('not ready for workloads');
    expect(f.summary).toContain('search/index-0 waits');
  });
  it('says what the error means and the next step, under the verbatim error', () => {
    const [f] = runCheck(attachError, [node('worker-1'), ...attachFails()]);
    const evidence = f.evidence.join('\n');
    expect(evidence).toContain('status.attachError');
    expect(evidence).toContain('rpc error: code = Internal desc = volume pvc-3c3c3c3c is not ready for workloads');
    expect(evidence).toContain('cause (longhorn-volume-not-ready, gRPC Internal');
    expect(f.explanation).toContain('Likely cause: the Longhorn volume is not ready for workloads');
    expect(f.remedies[0]).toContain('volumes.longhorn.io');
    expect(f.remedies.at(-1)).toContain('Do not delete the VolumeAttachment');
    expect(evidence).toContain('Longhorn volume pvc-3c3c3c3c: not read');
  });
  it('is a warning when no pod waits, and says when it does not know the error', () => {
    const objects = [node('worker-1'), ...boundVolume('a', 'c', 'pv-a'), volumeAttachment({ pv: 'pv-a', node: 'worker-1', attached: false, attachError: { time: ago('1m'), message: 'boom' } })];
    const [f] = runCheck(attachError, objects);
    expect(f.severity).toBe('warning');
    expect(f.evidence.join('\n')).toContain('status.attachError');
    expect(f.evidence.join('\n')).toContain(': boom');
    expect(f.evidence.join('\n')).toContain('not classified');
    expect(f.explanation).not.toContain('Likely cause');
    expect(f.remedies.some((r) => r.startsWith('Fix what the error names'))).toBe(true);
  });
  it('stays quiet once the volume is attached (an old error left in status)', () => {
    const objects = [...boundVolume('a', 'c', 'pv-a'), volumeAttachment({ pv: 'pv-a', node: 'worker-1', attached: true, attachError: { time: ago('1h'), message: 'old' } }),
      pod('a', 'p', { node: 'worker-1', claims: ['c'] })];
    expect(runCheck(attachError, objects)).toEqual([]);
  });
});

describe('attach-error from FailedAttachVolume events alone', () => {
  const LH_MSG = 'AttachVolume.Attach failed for volume "pvc-7173bdd9" : rpc error: code = Aborted desc = volume pvc-7173bdd9 is not ready for workloads';
  const waitingPod = () => pod('media', 'jellyfin-0', { node: 'worker-1', claims: ['config'], state: 'ContainerCreating', created: ago('40m') });
  const attachEvent = (p: ReturnType<typeof pod>, message: string, last = ago('1m')) => podEvent(p, { reason: 'FailedAttachVolume', message, count: 14, first: ago('35m'), last });

  it('reports a waiting pod whose VolumeAttachment holds no error, quoting the event and classifying it', () => {
    const p = waitingPod();
    const objects = [node('worker-1'), ...boundVolume('media', 'config', 'pvc-7173bdd9'), p, attachEvent(p, LH_MSG)];
    const [f, ...rest] = runCheck(attachError, objects);
    expect(rest).toEqual([]);
    expect(f.severity).toBe('critical');
    expect(f.id).toBe('attach-error/pod/media/jellyfin-0/pvc-7173bdd9');
    expect(f.summary).toBe(`Attaching volume pvc-7173bdd9 to worker-1 for pod media/jellyfin-0 fails: ${LH_MSG}`);
    const evidence = f.evidence.join('\n');
    expect(evidence).toContain(`event FailedAttachVolume (x14, last `);
    expect(evidence).toContain(LH_MSG);
    expect(evidence).toContain('cause (longhorn-volume-not-ready, gRPC Aborted');
    expect(evidence).toContain('this rests on the events');
    expect(f.explanation).toContain('Likely cause: the Longhorn volume is not ready for workloads');
    expect(f.blocks).toEqual([{ kind: 'Pod', namespace: 'media', name: 'jellyfin-0' }]);
    expect(f.related).toContainEqual({ kind: 'PersistentVolumeClaim', namespace: 'media', name: 'config' });
  });

  it('links to the Longhorn volume when Longhorn objects are readable', () => {
    const p = waitingPod();
    const objects = [node('worker-1'), ...boundVolume('media', 'config', 'pvc-7173bdd9'), p, attachEvent(p, LH_MSG),
      lhVolume('pvc-7173bdd9', { state: 'detached', robustness: 'faulted', pvc: { namespace: 'media', name: 'config' } })];
    const [f] = runCheck(attachError, objects);
    expect(f.related).toContainEqual({ kind: 'Volume.longhorn.io', namespace: 'longhorn-system', name: 'pvc-7173bdd9' });
    expect(f.evidence.join('\n')).toContain('Longhorn volume pvc-7173bdd9: state detached, robustness faulted (see the Longhorn findings for this volume)');
    expect(f.remedies.join('\n')).not.toContain('by hand: kubectl -n longhorn-system');
  });

  it('stands on its own when Longhorn objects are not readable', () => {
    const p = waitingPod();
    const [f] = runCheck(attachError, [node('worker-1'), ...boundVolume('media', 'config', 'pvc-7173bdd9'), p, attachEvent(p, LH_MSG)]);
    expect(f.related).not.toContainEqual(expect.objectContaining({ kind: 'Volume.longhorn.io' }));
    expect(f.evidence.join('\n')).toContain('rests on the message alone');
    expect(f.remedies.join('\n')).toContain('kubectl -n longhorn-system get volumes.longhorn.io pvc-7173bdd9 -o yaml');
  });

  it('says "not classified" for an unknown message, and still reports it', () => {
    const p = waitingPod();
    const [f] = runCheck(attachError, [node('worker-1'), ...boundVolume('media', 'config', 'pvc-7173bdd9', { driver: 'disk.csi.example.com' }), p,
      attachEvent(p, 'AttachVolume.Attach failed for volume "pvc-7173bdd9" : the flux capacitor is misaligned')]);
    expect(f.severity).toBe('critical');
    expect(f.summary).toContain('the flux capacitor is misaligned');
    expect(f.evidence.join('\n')).toContain('not classified');
    expect(f.evidence.join('\n')).not.toContain('Longhorn');
  });

  it('does not report the same pod twice when its VolumeAttachment holds the error', () => {
    const objects = [node('worker-1'), ...attachFails()];
    const p = objects.find((o) => o.kind === 'Pod')!;
    const found = runCheck(attachError, [...objects, attachEvent(p, 'AttachVolume.Attach failed for volume "pvc-3c3c3c3c" : rpc error: code = Internal desc = volume pvc-3c3c3c3c is not ready for workloads')]);
    expect(found.map((f) => f.subject.kind)).toEqual(['VolumeAttachment']);
  });

  describe('stays quiet for', () => {
    it('a pod that has since started', () => {
      const p = pod('media', 'jellyfin-0', { node: 'worker-1', claims: ['config'] });
      expect(runCheck(attachError, [...boundVolume('media', 'config', 'pvc-7173bdd9'), p, attachEvent(p, LH_MSG, ago('50m'))])).toEqual([]);
    });
    it('a volume attached to the pod\'s node since the event (the pod now waits on something else)', () => {
      const p = waitingPod();
      const objects = [...boundVolume('media', 'config', 'pvc-7173bdd9'), volumeAttachment({ pv: 'pvc-7173bdd9', node: 'worker-1', attached: true }), p, attachEvent(p, LH_MSG, ago('20m'))];
      expect(runCheck(attachError, objects)).toEqual([]);
    });
    it('a pod still inside the grace period (a hand-over in progress)', () => {
      const p = pod('media', 'jellyfin-0', { node: 'worker-1', claims: ['config'], state: 'ContainerCreating', created: ago('20s') });
      expect(runCheck(attachError, [...boundVolume('media', 'config', 'pvc-7173bdd9'), p, attachEvent(p, 'AttachVolume.Attach failed for volume "pvc-7173bdd9" : rpc error: code = Aborted desc = an operation with the given Volume ID pvc-7173bdd9 already exists', ago('5s'))])).toEqual([]);
    });
    it('Multi-Attach events (the multi-attach check reads them)', () => {
      const p = waitingPod();
      const objects = [...boundVolume('media', 'config', 'pvc-7173bdd9'), p, attachEvent(p, 'Multi-Attach error for volume "pvc-7173bdd9" Volume is already exclusively attached to one node and can\'t be attached to another')];
      expect(runCheck(attachError, objects)).toEqual([]);
    });
    it('events of an earlier pod with the same name', () => {
      const old = waitingPod();
      const now = pod('media', 'jellyfin-0', { node: 'worker-1', claims: ['config'], state: 'ContainerCreating', created: ago('10s') });
      expect(runCheck(attachError, [...boundVolume('media', 'config', 'pvc-7173bdd9'), now, attachEvent(old, LH_MSG)])).toEqual([]);
    });
  });
});
