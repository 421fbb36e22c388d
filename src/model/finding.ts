import type { ObjectRef } from './snapshot.js';
import type { Graph } from '../graph.js';

export type Severity = 'critical' | 'warning' | 'info';

export const SEVERITY_RANK: Record<Severity, number> = { critical: 3, warning: 2, info: 1 };

export interface Finding {
  /** Stable per subject: `<check>/<subject path>[/<volume>]`. */
  id: string;
  check: string;
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

export interface Check {
  /** Stable: scripts and docs key on it. */
  id: string;
  title: string;
  /** The highest severity this check reports. */
  severity: Severity;
  /** The kinds of objects the check reads (plural resource names). */
  reads: string[];
  docs: string;
  /**
   * 'fallback': the engine runs this check after all the others and hands it their findings, so it covers only
   * what they left unexplained (never-silent rule). Other checks run first, in any order, and see no findings.
   */
  phase?: 'fallback';
  /** `earlier`: for a fallback check, every finding of the other checks (absent means none). */
  run(graph: Graph, earlier?: readonly Finding[]): Finding[];
}

/** Whether a finding names the object as its subject or among its related objects (what a reader sees). */
export function names(f: Finding, ref: ObjectRef): boolean {
  const same = (r: ObjectRef) => r.kind === ref.kind && r.name === ref.name && (r.namespace ?? '') === (ref.namespace ?? '');
  return same(f.subject) || f.related.some(same);
}
