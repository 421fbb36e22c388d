// The human view: findings grouped into one story per blocked pod, the cause chain under it, then the next step.
import type { ChalkInstance } from 'chalk';
import type { Finding } from '../model/finding.js';
import { SEVERITY_RANK } from '../model/finding.js';
import type { Diagnosis } from './diagnosis.js';
import { describeRef, refKey, sameRef } from '../util/refs.js';
import { severityLabel } from './style.js';
import { terminalSafe } from '../util/terminal-safe.js';
import { DEFAULT_WIDTH, keepCommandsWhole, shortenGeneratedNames, wrapPainted } from './layout.js';

/** Longest a field from the cluster may run in the human view; -o json has it whole. */
export const FIELD_MAX = 2000;
/** Every string that can carry cluster data passes here before it is composed or coloured. */
const t = (s: string) => terminalSafe(s, FIELD_MAX, 'see -o json');

interface Story {
  key: string;
  /** The object the story is about, as kubectl names it. */
  about: string;
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
      const about = t(describeRef(anchor));
      story = { key, about, heading: f.blocks.length ? `${about} cannot start` : about, findings: [] };
      stories.set(key, story);
    }
    // A Terminating pod that blocks its own replacement: say that, not that the pod itself cannot start.
    if (f.headline && f.blocks[0] && sameRef(f.blocks[0], anchor)) story.heading = t(f.headline);
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

/** Checks first, then actions, then what never to do; each kind in the order the findings give it. */
const CAUTION = /^(never|do not|don't|only if)\b/i;
const CHECK_FIRST = /^(make sure|check|confirm|verify|find|look)\b/i;

/**
 * The steps of several findings as one list: each step once, every check before the action it guards, and the
 * warnings last.
 */
export function mergeSteps(lists: string[][]): string[] {
  const seen = new Set<string>();
  const steps: string[] = [];
  for (const list of lists) {
    for (const step of list) {
      if (seen.has(step)) continue;
      seen.add(step);
      steps.push(step);
    }
  }
  if (lists.length < 2) return steps;
  const rank = (s: string) => (CAUTION.test(s) ? 2 : CHECK_FIRST.test(s) ? 0 : 1);
  return steps.map((s, i) => ({ s, i, r: rank(s) })).sort((a, b) => a.r - b.r || a.i - b.i).map((x) => x.s);
}

export function renderDiagnosisTable(diagnosis: Diagnosis, findings: Finding[], style: ChalkInstance, wide: boolean, width = DEFAULT_WIDTH): string {
  const out: string[] = [];
  const push = (text: string, first: string, rest: string, paint?: (s: string) => string) => out.push(...wrapPainted(text, width, first, rest, paint));
  // The table names generated objects briefly; -o wide (and JSON) name them in full.
  const brief = wide ? (s: string) => s : shortenGeneratedNames;
  for (const i of diagnosis.incomplete) push(`! could not read ${t(i.resource)}: ${t(i.reason)}`, '', '  ', style.yellow);
  if (diagnosis.nowNote) push(`! ${t(diagnosis.nowNote)}`, '', '  ', style.yellow);
  for (const n of diagnosis.notChecked ?? []) push(`- not checked: ${t(n)}`, '', '  ', style.dim);
  if (diagnosis.incomplete.length || diagnosis.nowNote || diagnosis.notChecked?.length) out.push('');
  const stories = groupIntoStories(findings);
  if (stories.length === 0) {
    if (diagnosis.incomplete.length) push('Nothing stuck in what could be read, but the run is incomplete: what could not be read (above) may hide the problem.', '', '', style.yellow);
    else out.push(style.green('No stuck volumes found.'));
  }
  const shownSteps = new Map<string, string>();
  for (const story of stories) {
    const top = story.findings[0];
    push(brief(story.heading), `${severityLabel(style, top.severity)} `, ' '.repeat(9), style.bold);
    story.findings.forEach((f, index) => {
      const last = index === story.findings.length - 1;
      const cont = last ? '     ' : '  │  ';
      push(`${style.dim(`[${t(f.check)}]`)} ${brief(t(f.summary))}`, `  ${last ? '└─' : '├─'} ${severityLabel(style, f.severity)} `, `${cont}         `);
      if (wide) {
        for (const e of f.evidence) push(t(e), `${cont}         ${style.dim('·')} `, `${cont}           `);
        if (f.since) push(`${style.dim('since')} ${t(f.since)}`, `${cont}         ${style.dim('·')} `, `${cont}           `);
      }
    });
    const steps = wide ? mergeSteps(story.findings.map((f) => f.remedies)) : top.remedies;
    if (steps.length) {
      // One block of steps per node or volume, however many stories point at it.
      const key = steps.join('\n');
      const first = shownSteps.get(key);
      if (first) {
        push(`${style.bold('Next step:')} the same as for ${brief(first)} above.`, '  ', '    ');
      } else {
        shownSteps.set(key, story.about);
        out.push(`  ${style.bold('Next step:')}`);
        steps.forEach((r, n) => {
          const number = `    ${n + 1}. `;
          push(keepCommandsWhole(t(r)), number, ' '.repeat(number.length));
        });
      }
    }
    out.push('');
  }
  const s = diagnosis.summary;
  push(`${s.critical} critical, ${s.warning} warning, ${s.info} info · ${t(diagnosis.source)} · judged at ${t(diagnosis.now)}`, '', '  ');
  // A live run is judged by the clock; a dump's moment is chosen, so say how.
  if (diagnosis.nowBasis !== 'the clock of this machine') {
    push(`that moment is ${diagnosis.nowBasis === '--now' ? 'the one given by --now' : t(diagnosis.nowBasis)}`, '', '  ', style.dim);
  }
  if (!wide && findings.length) push('Use -o wide for the evidence and full names, `kubectl volume-doctor explain CHECK` for background.', '', '', style.dim);
  return `${out.join('\n')}\n`;
}
