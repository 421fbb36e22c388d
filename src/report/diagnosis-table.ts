// The human view: findings grouped into one story per blocked pod, the cause chain under it, then the next step.
import type { ChalkInstance } from 'chalk';
import type { Finding } from '../model/finding.js';
import { SEVERITY_RANK } from '../model/finding.js';
import type { Diagnosis } from './diagnosis.js';
import { describeRef, refKey, sameRef } from '../util/refs.js';
import { severityLabel } from './style.js';
import { terminalSafe } from '../util/terminal-safe.js';

/** Longest a field from the cluster may run in the human view; -o json has it whole. */
export const FIELD_MAX = 2000;
/** Every string that can carry cluster data passes here before it is composed or coloured. */
const t = (s: string) => terminalSafe(s, FIELD_MAX, 'see -o json');

interface Story {
  key: string;
  heading: string;
  findings: Finding[];
}

function groupIntoStories(findings: Finding[]): Story[] {
  const stories = new Map<string, Story>();
  for (const f of findings) {
    const anchor = f.blocks[0] ?? f.subject;
    const key = refKey(anchor);
    let story = stories.get(key);
    if (!story) {
      const heading = f.blocks.length ? `${t(describeRef(anchor))} cannot start` : t(describeRef(anchor));
      story = { key, heading, findings: [] };
      stories.set(key, story);
    }
    story.findings.push(f);
  }
  const worst = (s: Story) => Math.max(...s.findings.map((f) => SEVERITY_RANK[f.severity]));
  for (const s of stories.values()) {
    // The blocked pod's own finding first, then its causes, most severe first.
    s.findings.sort((a, b) => {
      const own = (f: Finding) => (f.blocks[0] && sameRef(f.subject, f.blocks[0]) ? 1 : 0);
      return own(b) - own(a) || SEVERITY_RANK[b.severity] - SEVERITY_RANK[a.severity] || a.id.localeCompare(b.id);
    });
  }
  // Most severe first; at equal severity, the stories of blocked pods before node or object summaries.
  const podFirst = (s: Story) => (s.key.startsWith('Pod/') ? 0 : 1);
  return [...stories.values()].sort((a, b) => worst(b) - worst(a) || podFirst(a) - podFirst(b) || a.key.localeCompare(b.key));
}

export function renderDiagnosisTable(diagnosis: Diagnosis, findings: Finding[], style: ChalkInstance, wide: boolean): string {
  const out: string[] = [];
  for (const i of diagnosis.incomplete) out.push(style.yellow(`! could not read ${t(i.resource)}: ${t(i.reason)}`));
  if (diagnosis.nowNote) out.push(style.yellow(`! ${t(diagnosis.nowNote)}`));
  if (diagnosis.incomplete.length || diagnosis.nowNote) out.push('');
  const stories = groupIntoStories(findings);
  if (stories.length === 0) {
    out.push(diagnosis.incomplete.length ? style.yellow('Nothing stuck in what could be read, but the run is incomplete: what could not be read (above) may hide the problem.') : style.green('No stuck volumes found.'));
  }
  for (const story of stories) {
    const top = story.findings[0];
    out.push(`${severityLabel(style, top.severity)} ${style.bold(story.heading)}`);
    story.findings.forEach((f, index) => {
      const branch = index === story.findings.length - 1 ? '└─' : '├─';
      const cont = index === story.findings.length - 1 ? '   ' : '│  ';
      out.push(`  ${branch} ${style.dim(`[${t(f.check)}]`)} ${t(f.summary)}`);
      if (wide) {
        for (const e of f.evidence) out.push(`  ${cont}   ${style.dim('·')} ${t(e)}`);
        if (f.since) out.push(`  ${cont}   ${style.dim('· since')} ${t(f.since)}`);
      }
    });
    const remedies = wide ? [...new Set(story.findings.flatMap((f) => f.remedies))] : top.remedies;
    if (remedies.length) {
      out.push(`  ${style.bold('Next step:')}`);
      remedies.forEach((r, n) => out.push(`    ${n + 1}. ${t(r)}`));
    }
    out.push('');
  }
  const s = diagnosis.summary;
  out.push(`${s.critical} critical, ${s.warning} warning, ${s.info} info · ${t(diagnosis.source)} · judged at ${t(diagnosis.now)}`);
  // A live run is judged by the clock; a dump's moment is chosen, so say how.
  if (diagnosis.nowBasis !== 'the clock of this machine') {
    out.push(style.dim(`that moment is ${diagnosis.nowBasis === '--now' ? 'the one given by --now' : t(diagnosis.nowBasis)}`));
  }
  if (!wide && findings.length) out.push(style.dim('Use -o wide for the evidence, `kubectl volume-doctor explain CHECK` for background.'));
  return `${out.join('\n')}\n`;
}
