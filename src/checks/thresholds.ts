// How long a state must last before a check calls it stuck. Shorter states are normal transitions.

/** A node NotReady for less than this is a blip (the node lifecycle controller itself waits 40s by default). */
export const NODE_DOWN_GRACE_MS = 60_000;
/** A pod waiting for a volume this long is no longer in a normal hand-over between nodes. */
export const WAITING_POD_GRACE_MS = 60_000;
/**
 * A pod or claim that has waited on a volume this long is an outage, not a slow start: findings about it are
 * critical. (A healthy attach and mount take seconds; the kubelet gives up one round after about 2 minutes.)
 */
export const VOLUME_WAIT_CRITICAL_MS = 15 * 60_000;
/** A VolumeAttachment that has been deleting this long is stuck: a healthy attacher detaches in seconds. */
export const DETACH_STUCK_AFTER_MS = 2 * 60_000;
/** The attach/detach controller's maxWaitForUnmountDuration before it force-detaches from a NotReady node. */
export const MAX_WAIT_FOR_UNMOUNT_MS = 6 * 60_000;
/**
 * A node back Ready for this long is trusted to stay up: the out-of-service taint is removed only then (fix's
 * --node-ready-for defaults to it, and diagnose says when fix will accept it), so a node that flaps is not
 * untainted between two failures.
 */
export const READY_TRUST_MS = 5 * 60_000;
/**
 * A resize that has not finished after this long is stuck. A healthy controller expansion takes seconds (a cloud
 * disk modification up to a couple of minutes), and the kubelet grows a mounted file system at its next pod sync
 * (about a minute); five minutes is past both with margin, and well before a wait becomes an outage.
 */
export const RESIZE_GRACE_MS = 5 * 60_000;
