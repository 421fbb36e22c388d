// The Diagnosis document, the JSON contract scripts depend on (docs/architecture.md, Contracts). -o json and -o yaml print exactly this.
import type { CheckId, Finding, Severity } from '../model/finding.js';
import type { IncompleteResource, ObjectRef, Snapshot } from '../model/snapshot.js';
import { CHECKS } from '../checks/index.js';
import { readsResource } from '../checks/check.js';

const API_VERSION = 'volume-doctor/v1';

interface DiagnosisFinding {
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
}

export interface Diagnosis {
  apiVersion: string;
  kind: 'Diagnosis';
  now: string;
  /** Why `now` is that moment (see Snapshot.nowBasis). */
  nowBasis: string;
  /** Present when a dump holds timestamps after `now` that were ignored. */
  nowNote?: string;
  source: string;
  summary: Record<Severity, number>;
  incomplete: IncompleteResource[];
  /** What could not be checked without making the run incomplete, e.g. kubelets that could not be asked. */
  notChecked?: string[];
  findings: DiagnosisFinding[];
}

function describeSource(snapshot: Snapshot): string {
  const s = snapshot.source;
  if (s.type === 'file') return `file:${(s.files ?? []).join(',')}`;
  return `cluster:${s.context ?? ''}${s.server ? ` (${s.server})` : ''}`;
}

/** Which checks could not run fully because a resource was unreadable. */
function incompleteWithChecks(incomplete: IncompleteResource[]): IncompleteResource[] {
  return incomplete.map((i) => {
    const affected = CHECKS.filter((c) => readsResource(c, i.resource)).map((c) => c.id);
    return affected.length ? { resource: i.resource, reason: `${i.reason} (checks that could not run fully: ${affected.join(', ')})` } : i;
  });
}

export function buildDiagnosis(snapshot: Snapshot, findings: Finding[]): Diagnosis {
  const summary: Record<Severity, number> = { critical: 0, warning: 0, info: 0 };
  for (const f of findings) summary[f.severity]++;
  return {
    apiVersion: API_VERSION,
    kind: 'Diagnosis',
    now: snapshot.now,
    nowBasis: snapshot.nowBasis ?? 'given by the caller',
    ...(snapshot.nowNote ? { nowNote: snapshot.nowNote } : {}),
    source: describeSource(snapshot),
    summary,
    incomplete: incompleteWithChecks(snapshot.incomplete),
    ...(snapshot.notChecked?.length ? { notChecked: snapshot.notChecked } : {}),
    findings: findings.map((f) => {
      const out: DiagnosisFinding = {
        id: f.id, check: f.check, severity: f.severity, subject: f.subject, related: f.related,
        summary: f.summary, evidence: f.evidence, explanation: f.explanation, remedies: f.remedies,
      };
      if (f.since) out.since = f.since;
      return out;
    }),
  };
}
