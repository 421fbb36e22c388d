import type { ObjectRef } from './snapshot.js';

export type Severity = 'critical' | 'warning' | 'info';

export const SEVERITY_RANK: Record<Severity, number> = { critical: 3, warning: 2, info: 1 };

/**
 * The check registry (src/checks/index.ts) declares its ids into this interface (declaration merging), which types
 * `Finding.check` by the registry without model/ importing from checks/, a room above it.
 * @public: used only through that merging, which knip cannot see.
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- the registry merges its `id` into it
export interface CheckRegistry {}

/** The id of a check in the registry (any string in a program without the registry). */
export type CheckId = CheckRegistry extends { id: infer Id extends string } ? Id : string;

export interface Finding {
  /** Stable per subject: `<check>/<subject path>[/<volume>]`. */
  id: string;
  check: CheckId;
  severity: Severity;
  subject: ObjectRef;
  related: ObjectRef[];
  summary: string;
  evidence: string[];
  explanation: string;
  remedies: string[];
  since?: string;
  /** Pods this finding keeps from starting; used to group findings into one story. Not part of the JSON contract. */
  blocks: ObjectRef[];
  /** What the story of the first blocked pod is headed with, when it is not that the pod cannot start. Not part of the JSON contract. */
  headline?: string;
}

/** Whether a finding names the object as its subject or among its related objects (what a reader sees). */
export function names(f: Finding, ref: ObjectRef): boolean {
  const same = (r: ObjectRef) => r.kind === ref.kind && r.name === ref.name && (r.namespace ?? '') === (ref.namespace ?? '');
  return same(f.subject) || f.related.some(same);
}
