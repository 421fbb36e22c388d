// What the readers ask for beyond the kinds themselves (src/model/kinds.ts): which events, and attachments by name.
import { createHash } from 'node:crypto';

/** Events that carry volume trouble; each (type, reason) is one server-side field-selected LIST. */
export const VOLUME_EVENTS: { type: 'Warning' | 'Normal'; reason: string }[] = [
  { type: 'Warning', reason: 'FailedAttachVolume' },
  { type: 'Warning', reason: 'FailedMount' },
  { type: 'Warning', reason: 'ProvisioningFailed' },
  { type: 'Warning', reason: 'ClaimLost' },
  // A claim whose expansion fails (external-resizer or the expand controller); the never-silent rule quotes it.
  { type: 'Warning', reason: 'VolumeResizeFailed' },
  // The kubelet could not grow a volume's file system (on the pod and the claim).
  { type: 'Warning', reason: 'FileSystemResizeFailed' },
  // The scheduler's verdict on a pod it cannot place; only volume reasons (node affinity, attach limits, unbound claims) concern us.
  { type: 'Warning', reason: 'FailedScheduling' },
  { type: 'Normal', reason: 'ExternalProvisioning' },
  { type: 'Normal', reason: 'WaitForFirstConsumer' },
  // The expand controller left a claim's resize to an external resizer; with nothing after it, none is running.
  { type: 'Normal', reason: 'ExternalExpanding' },
];

export const eventSelector = (e: { type: string; reason: string }) => `type=${e.type},reason=${e.reason}`;

/**
 * The name the CSI attacher gives the VolumeAttachment of a volume on a node: "csi-" and the hex SHA-256 of the
 * volume handle, driver and node name run together (getAttachmentName in Kubernetes' pkg/volume/csi). Other
 * attachers may name theirs otherwise, so a 404 for this name proves only that this one name is absent.
 */
export function csiAttachmentName(volumeHandle: string, driver: string, node: string): string {
  return `csi-${createHash('sha256').update(volumeHandle + driver + node).digest('hex')}`;
}
