// What a check is, and how a check module is written: `defineCheck({ id, title, severity, reads, docs, run })`.
// The check's own run returns drafts; the Check it defines stamps each with the check's id, so `finding.check`
// and the id prefix can never disagree with the check that produced them.
import type { CheckId, Finding, Severity } from '../model/finding.js';
import type { ReadableResource } from '../model/kinds.js';
import type { Graph } from '../graph.js';

export interface Check<Id extends string = string> {
  /** Stable: scripts and docs key on it. */
  readonly id: Id;
  title: string;
  /** The highest severity this check reports. */
  severity: Severity;
  /** What the check reads, by resource name. */
  reads: readonly ReadableResource[];
  /**
   * What it finds (first paragraph), then the sections `explain` and the README promise, each starting a line:
   * "How Kubernetes gets there:", "Confirm by hand:", "Safe fix:", "Never:".
   */
  docs: string;
  /**
   * 'fallback': the engine runs this check after all the others and hands it their findings, so it covers only
   * what they left unexplained (never-silent rule). Other checks run first, in any order, and see no findings.
   */
  phase?: 'fallback';
  /** `earlier`: for a fallback check, every finding of the other checks (absent means none). */
  run(graph: Graph, earlier?: readonly Finding[]): Finding[];
}

/** The docs sections every check has, in this order, after its first paragraph. */
export const DOC_SECTIONS = ['How Kubernetes gets there:', 'Confirm by hand:', 'Safe fix:', 'Never:'] as const;

/** A finding as a check writes it: `key` identifies it within the check (`<kind>/<subject path>[/<suffix>]`). */
export type FindingDraft = Omit<Finding, 'id' | 'check'> & { key: string };

export interface CheckSpec<Id extends string> extends Omit<Check<Id>, 'run'> {
  run(graph: Graph, earlier?: readonly Finding[]): FindingDraft[];
}

/** Stamps a draft with its check: `id` becomes `<check>/<key>`. */
function stamp(check: CheckId, draft: FindingDraft): Finding {
  const { key, ...rest } = draft;
  return { id: `${check}/${key}`, check, ...rest };
}

export function defineCheck<const Id extends string>(spec: CheckSpec<Id>): Check<Id> {
  // The registry lists every check volume-doctor runs, which makes its id a CheckId.
  return { ...spec, run: (graph, earlier) => spec.run(graph, earlier).map((d) => stamp(spec.id as string as CheckId, d)) };
}

/** Whether the check reads a resource named as `incomplete[].resource` names it. */
export function readsResource(check: Pick<Check, 'reads'>, resource: string): boolean {
  return (check.reads as readonly string[]).includes(resource);
}
