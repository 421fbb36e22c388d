import Table from 'cli-table3';
import type { ChalkInstance } from 'chalk';
import type { RemediationPlan } from '../remedy/types.js';
import { describeRef } from '../util/refs.js';

export function renderPlanTable(plan: RemediationPlan, style: ChalkInstance): string {
  if (plan.actions.length === 0) return 'Nothing to fix automatically: no finding has a safe automatic action. See `kubectl volume-doctor diagnose` for manual next steps.\n';
  const table = new Table({ head: ['ACTION', 'TARGET', 'STATUS', 'GUARDS'], style: { head: [], border: [] }, wordWrap: true });
  for (const a of plan.actions) {
    const guards = a.guards.map((g) => `${g.ok ? style.green('✓') : style.red('✗')} ${g.name}: ${g.detail}`).join('\n');
    const status = a.status === 'planned' || a.status === 'applied' ? style.green(a.status) : a.status === 'refused' || a.status === 'failed' || a.status === 'aborted' ? style.red(a.status) : a.status;
    table.push([a.type, describeRef(a.target), status, guards]);
  }
  const lines = [table.toString(), ''];
  for (const a of plan.actions) {
    lines.push(`${a.type} ${describeRef(a.target)}: ${a.reason}`);
    lines.push(`  by hand: ${a.command}`);
    if (a.message) lines.push(`  ${a.message}`);
  }
  if (plan.dryRun) lines.push('', style.dim('Dry run: nothing was changed.'));
  return `${lines.join('\n')}\n`;
}
