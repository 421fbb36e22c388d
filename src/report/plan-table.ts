import Table from 'cli-table3';
import type { ChalkInstance } from 'chalk';
import type { RemediationPlan } from '../remedy/types.js';
import { describeRef } from '../util/refs.js';
import { terminalSafe } from '../util/terminal-safe.js';
import { FIELD_MAX } from './diagnosis-table.js';

/** cli-table3 lays a cell out in time that grows steeply with its length: no cell line may exceed this. */
export const CELL_MAX = 300;
const cell = (s: string) => terminalSafe(s, CELL_MAX, 'see -o json');
const field = (s: string) => terminalSafe(s, FIELD_MAX, 'see -o json');

export function renderPlanTable(plan: RemediationPlan, style: ChalkInstance): string {
  if (plan.actions.length === 0) return 'Nothing to fix automatically: no finding has a safe automatic action. See `kubectl volume-doctor diagnose` for manual next steps.\n';
  const table = new Table({ head: ['ACTION', 'TARGET', 'STATUS', 'GUARDS'], style: { head: [], border: [] }, wordWrap: true });
  for (const a of plan.actions) {
    // Escaped and bounded before colouring, so only our own colour codes reach the terminal.
    const guards = a.guards.map((g) => `${g.ok ? style.green('✓') : style.red('✗')} ${cell(`${g.name}: ${g.detail}`)}`).join('\n');
    const s = cell(a.status);
    const status = a.status === 'planned' || a.status === 'applied' ? style.green(s) : a.status === 'refused' || a.status === 'failed' || a.status === 'aborted' ? style.red(s) : s;
    table.push([cell(a.type), cell(describeRef(a.target)), status, guards]);
  }
  const lines = [table.toString(), ''];
  for (const a of plan.actions) {
    lines.push(`${field(a.type)} ${field(describeRef(a.target))}: ${field(a.reason)}`);
    lines.push(`  by hand: ${field(a.command)}`);
    if (a.message) lines.push(`  ${field(a.message)}`);
  }
  if (plan.dryRun) lines.push('', style.dim('Dry run: nothing was changed.'));
  return `${lines.join('\n')}\n`;
}
