import { describe, expect, it } from 'vitest';
import { attacherFinalizer, volumeAttachmentStuckDeleting as check } from '../../src/checks/volume-attachment-stuck-deleting.js';
import { ago, boundVolume, node, volumeAttachment } from '../fixtures/builders.js';
import { runCheck } from '../fixtures/run.js';
import { story4 } from '../fixtures/stories.js';

describe('volume-attachment-stuck-deleting', () => {
  it('derives the external-attacher finalizer as the attacher names it: every character of the driver other than a letter, digit or - becomes -', () => {
    expect(attacherFinalizer('driver.longhorn.io')).toBe('external-attacher/driver-longhorn-io');
    expect(attacherFinalizer('ebs.csi.aws.com')).toBe('external-attacher/ebs-csi-aws-com');
  });

  it('fires for story 4, names the finalizer, the attacher, the detach error and the waiting pod', () => {
    const [f, ...rest] = runCheck(check, [node('worker-1'), ...story4()]);
    expect(rest).toEqual([]);
    expect(f.severity).toBe('critical');
    expect(f.summary).toContain('has been deleting for 10m');
    expect(f.summary).toContain('billing/ledger-0 waits for it');
    expect(f.evidence.join('\n')).toContain('external-attacher/driver-longhorn-io');
    expect(f.evidence.join('\n')).toContain('is busy on the node');
    // detach-error quotes the error in the same story; this finding points at it instead of repeating it.
    expect(f.summary).toContain('the detach keeps failing');
    expect(f.summary).not.toContain('is busy on the node');
    expect(f.remedies.join('\n')).not.toContain('is busy on the node');
    expect(f.related).toContainEqual({ kind: 'Pod', namespace: 'billing', name: 'ledger-0' });
  });

  it('points at the attacher when there is no detach error', () => {
    const objects = [node('worker-1'), ...boundVolume('a', 'c', 'pv-a'), volumeAttachment({ pv: 'pv-a', node: 'worker-1', deletionTimestamp: ago('30m') })];
    const [f] = runCheck(check, objects);
    expect(f.severity).toBe('warning');
    expect(f.summary).toContain('attacher has not finished the detach');
  });

  it('stays quiet while a detach is only seconds old', () => {
    const objects = [node('worker-1'), ...boundVolume('a', 'c', 'pv-a'), volumeAttachment({ pv: 'pv-a', node: 'worker-1', deletionTimestamp: ago('30s') })];
    expect(runCheck(check, objects)).toEqual([]);
  });
});
