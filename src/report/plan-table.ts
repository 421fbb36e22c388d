// The fix plan for a person: one block per action (what, on what, its status, why, each guard on its own line,
// the command by hand), wrapped to the terminal. Laid out by hand: a table of 1,500 actions must print at once.
import type { ChalkInstance } from 'chalk';
import type { Action, RemediationPlan } from '../remedy/types.js';
import { onlyConfirmationMissing, withoutReminder } from '../remedy/plan.js';
import { guardUnknown } from '../remedy/guards.js';
import { describeRef } from '../util/refs.js';
import { terminalSafe } from '../util/terminal-safe.js';
import { FIELD_MAX } from './diagnosis-table.js';
import { DEFAULT_WIDTH, displayWidth, keepCommandsWhole, shortenGeneratedNames, wrapPainted } from './layout.js';

const field = (s: string) => terminalSafe(s, FIELD_MAX, 'see -o json');
/** A guard's detail is one sentence; past this it is cluster data gone wild (a 5,000-character gitVersion). */
const GUARD_MAX = 300;

/** What the status means for the reader: in a dry run an action that only lacks a confirmation says which. */
function statusText(action: Action, style: ChalkInstance): string {
  const node = action.status === 'refused' ? onlyConfirmationMissing(action) : undefined;
  if (node) return style.cyan(`needs --confirm-node-down ${field(node)}`);
  const s = field(action.status);
  switch (action.status) {
    case 'planned':
    case 'applied':
      return style.green(s);
    case 'refused':
    case 'failed':
    case 'aborted':
      return style.red(s);
    case 'unresolved':
      return style.yellow(s);
    default:
      return s;
  }
}

/** `notChecked`: what the run could not check without being incomplete (kubelets not asked), said first as diagnose does. */
export function renderPlanTable(plan: RemediationPlan, style: ChalkInstance, width = DEFAULT_WIDTH, notChecked: readonly string[] = []): string {
  const out: string[] = [];
  const push = (text: string, first: string, rest: string, paint?: (s: string) => string) => out.push(...wrapPainted(text, width, first, rest, paint));
  for (const n of notChecked) push(`- not checked: ${field(n)}`, '', '  ', style.dim);
  if (notChecked.length) out.push('');
  if (plan.actions.length === 0) {
    push('Nothing to fix automatically: no finding has a safe automatic action. See `kubectl volume-doctor diagnose` for manual next steps.', '', '');
    return `${out.join('\n')}\n`;
  }
  const counts = new Map<string, number>();
  plan.actions.forEach((a, i) => {
    const status = statusText(a, style);
    const kind = a.status === 'refused' && onlyConfirmationMissing(a) ? 'waiting for --confirm-node-down' : a.status;
    counts.set(kind, (counts.get(kind) ?? 0) + 1);
    const number = `${i + 1}. `;
    const indent = ' '.repeat(number.length);
    push(`${style.bold(`${field(a.type)} ${shortenGeneratedNames(field(describeRef(a.target)))}`)} · ${status}`, number, `${indent}  `);
    push(field(a.reason), indent, indent);
    for (const g of a.guards) {
      const mark = guardUnknown(g) ? style.yellow('?') : g.ok ? style.green('✓') : style.red('✗');
      push(`${field(g.name)}${guardUnknown(g) ? ' (unknown)' : ''}: ${terminalSafe(g.detail, GUARD_MAX, 'see -o json')}`, `${indent}${mark} `, `${indent}  `);
    }
    // A command is copied: on a line of its own when it does not fit after the label. It is not offered for an
    // action that a failed guard stops (a kubelet that answers, a node that is Ready): by hand it would do the same harm.
    const byHand = `${indent}${style.dim('by hand:')} `;
    const stoppedBy = a.guards.find((g) => !g.ok && g.name !== 'node-down-confirmed');
    if (stoppedBy) {
      push(`not while ${field(stoppedBy.name)} fails: that guard holds by hand too`, byHand, `${indent}  `);
    } else {
      const command = field(a.command);
      const ownLine = displayWidth(byHand) + displayWidth(command) > width && indent.length + 2 + displayWidth(command) <= width;
      if (ownLine) out.push(byHand.trimEnd());
      push(command, ownLine ? `${indent}  ` : byHand, `${indent}  `);
    }
    // The plan's own refusal only repeats the failed guards above; anything else (a wrong name at the prompt) says more.
    const message = a.status === 'refused' && a.message?.startsWith('refused: ') ? undefined : withoutReminder(a);
    if (message) push(keepCommandsWhole(field(message)), indent, `${indent}  `);
    out.push('');
  });
  const summary = [...counts].map(([s, n]) => `${n} ${s}`).join(', ');
  push(`${plan.actions.length} action${plan.actions.length === 1 ? '' : 's'}: ${summary}`, '', '  ');
  if (plan.dryRun) out.push(style.dim('Dry run: nothing was changed.'));
  return `${out.join('\n')}\n`;
}
