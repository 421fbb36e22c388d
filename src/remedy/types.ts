import type { ObjectRef } from '../model/snapshot.js';

export type ActionType = 'taint-out-of-service' | 'remove-out-of-service-taint' | 'delete-volumeattachment' | 'force-delete-pod';

/**
 * planned: all guards pass (dry run). refused: a guard failed. From apply: applied (and the symptom cleared),
 * unresolved (applied, but the symptom did not clear before --timeout), aborted (the objects changed or a guard
 * failed on re-read), failed (the API server rejected the write), declined (not confirmed).
 */
type ActionStatus = 'planned' | 'refused' | 'applied' | 'unresolved' | 'failed' | 'aborted' | 'declined';

export interface Guard {
  name: string;
  ok: boolean;
  detail: string;
}

export interface Action {
  type: ActionType;
  target: ObjectRef;
  /** Id of the finding this action answers. */
  finding: string;
  reason: string;
  guards: Guard[];
  /** The kubectl command that does the same by hand. */
  command: string;
  status: ActionStatus;
  /** What happened, or why it was refused. */
  message?: string;
}

export interface RemediationPlan {
  apiVersion: string;
  kind: 'RemediationPlan';
  dryRun: boolean;
  actions: Action[];
}

export interface PlanOptions {
  /** Nodes the operator confirmed are powered off. */
  confirmNodeDown: readonly string[];
  /** How long a node must have been NotReady, with its Lease unrenewed, before acting as if it were down. */
  nodeDownForMs: number;
  /** How long a node must have been Ready again before its out-of-service taint is removed; default READY_TRUST_MS. */
  nodeReadyForMs?: number;
  /** Limit the plan to findings of these checks. */
  only?: readonly string[];
}
