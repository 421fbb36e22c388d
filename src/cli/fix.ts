import { Command } from 'commander';
import { diagnoseSnapshot } from '../engine.js';
import { plan } from '../remedy/plan.js';
import type { RemediationPlan } from '../remedy/types.js';
import { renderPlanTable } from '../report/plan-table.js';
import { renderStructured } from '../report/structured.js';
import { colorEnabled, makeStyle } from '../report/style.js';
import { terminalWidth } from '../report/layout.js';
import { CHECKS } from '../checks/index.js';
import { addCommonOptions, addNodeReadyForOption, checkOutput, CommonFlags, durationFlag, nodeReadyForMs, TARGET_ARGUMENT_HELP } from './options.js';
import { invalidSubdomain } from '../util/names.js';
import { loadSnapshot } from './load.js';
import { EXIT, UsageError } from './errors.js';
import { applyPlan } from '../remedy/apply.js';
import { spinnerProgress, terminalPrompt } from './prompt.js';
import { terminalSafe, terminalSafeLines } from '../util/terminal-safe.js';

const OUTPUTS = ['table', 'json', 'yaml'];
const DRY_RUN = ['client', 'server', 'none'];

const EXAMPLES = `
Examples:
  # What would be done, without changing anything
  kubectl volume-doctor fix --dry-run

  # A node is powered off and a StatefulSet pod is stuck Terminating on it
  kubectl volume-doctor fix pod/db-0 -n prod --confirm-node-down worker-3

  # Let admission and RBAC check every write, storing nothing
  kubectl volume-doctor fix --confirm-node-down worker-3 --dry-run=server

  # A runbook: only remove out-of-service taints left on nodes that are back
  kubectl volume-doctor fix -A --only out-of-service-taint-left --yes -o json

  # Plan from a dump (applying to a dump is not possible)
  kubectl volume-doctor fix --from-file dump.json --dry-run -o json

Every action that assumes a node is down needs the node NotReady and its Lease unrenewed for
--node-down-for, and your confirmation (--confirm-node-down NODE, or its name typed at the prompt).
A Ready node's pods and attachments are never touched, and finalizers are never removed. An out-of-service
taint is removed only once its node has been Ready for --node-ready-for (diagnose says from when).
Exit codes: 0 all actions applied and cleared (or the plan printed in a dry run), 1 an action was refused,
declined, aborted or failed, or did not clear before --timeout,
2 usage or input error, 3 could not complete (cluster unreachable, or resources unreadable: the plan may be missing actions).`;

interface FixFlags extends CommonFlags {
  dryRun?: string;
  yes?: boolean;
  confirmNodeDown?: string[];
  nodeDownFor: string;
  nodeReadyFor: string;
  only?: string[];
  timeout: string;
}

const collect = (v: string, prev: string[] = []) => [...prev, ...v.split(',').map((s) => s.trim()).filter(Boolean)];

/** kubectl accepts a bare --dry-run as --dry-run=client; commander needs the value spelled out. */
export function normalizeDryRun(argv: string[]): string[] {
  return argv.map((a) => (a === '--dry-run' ? '--dry-run=client' : a));
}

/** The plan document with `notChecked` after `dryRun`, present only when something was not checked (as in a Diagnosis). */
function withNotChecked(result: RemediationPlan, notChecked: string[]): RemediationPlan & { notChecked?: string[] } {
  if (!notChecked.length) return result;
  const { actions, ...head } = result;
  return { ...head, notChecked, actions };
}

export function fixCommand(): Command {
  const cmd = new Command('fix')
    .description('Plan the safe next step for stuck volumes and carry it out behind guards')
    .argument('[target...]', TARGET_ARGUMENT_HELP)
    .option('--dry-run <strategy>', 'client: print the plan; server: send each write with dryRun=All; none: apply (a bare --dry-run means client)')
    .option('-y, --yes', 'apply without asking for each action')
    .option('--confirm-node-down <node>', 'you checked that this node is powered off; repeatable', collect)
    .option('--node-down-for <duration>', 'how long a node must be NotReady, with its Lease unrenewed, before it is treated as down', '5m')
    .option('--only <check>', 'plan only for findings of these checks; repeatable or comma-separated', collect)
    .option('--timeout <duration>', 'how long to wait after each action for the symptom to clear', '5m');
  addNodeReadyForOption(addCommonOptions(cmd, OUTPUTS)).addHelpText('after', EXAMPLES);
  cmd.action(async (args: string[], flags: FixFlags) => {
    checkOutput(flags.output, OUTPUTS);
    const dryRun = flags.dryRun ?? 'none';
    if (!DRY_RUN.includes(dryRun)) throw new UsageError(`invalid --dry-run "${dryRun}": use client, server or none`);
    const nodeDownForMs = durationFlag('--node-down-for', flags.nodeDownFor);
    const readyForMs = nodeReadyForMs(flags.nodeReadyFor);
    const timeoutMs = durationFlag('--timeout', flags.timeout);
    for (const id of flags.only ?? []) {
      if (!CHECKS.some((c) => c.id === id)) throw new UsageError(`unknown check "${id}" in --only: run kubectl volume-doctor explain to list them`);
    }
    if (flags.fromFile?.length && dryRun !== 'client') {
      throw new UsageError('a dump can only be planned, not fixed: add --dry-run (or run against the cluster)');
    }
    for (const node of flags.confirmNodeDown ?? []) {
      const wrong = invalidSubdomain(node);
      if (wrong) throw new UsageError(`invalid --confirm-node-down "${node}": ${wrong}`);
    }
    const options = { confirmNodeDown: flags.confirmNodeDown ?? [], nodeDownForMs, nodeReadyForMs: readyForMs, only: flags.only };
    const { snapshot, targetRef, target, client } = await loadSnapshot(flags, args);
    const { graph, findings } = diagnoseSnapshot(snapshot, targetRef, { readyTrustMs: readyForMs });
    let result: RemediationPlan = plan(findings, graph, options, dryRun !== 'none');
    if (dryRun !== 'client' && client) {
      result = await applyPlan(result, {
        client,
        options,
        graph,
        findings,
        serverDryRun: dryRun === 'server',
        yes: !!flags.yes,
        timeoutMs,
        scope: { namespace: snapshot.namespace, target },
        ask: terminalPrompt(),
        progress: spinnerProgress(),
        // apply.ts escapes the cluster's strings in each line; this keeps any it missed from reaching the terminal raw.
        log: (line) => process.stderr.write(`${terminalSafeLines(line, 4000)}\n`),
      });
    }
    // What could not be checked (kubelets not asked) changes neither the plan nor the exit code, but is said.
    const notChecked = snapshot.notChecked ?? [];
    if (flags.output === 'json' || flags.output === 'yaml') process.stdout.write(renderStructured(withNotChecked(result, notChecked), flags.output));
    else process.stdout.write(renderPlanTable(result, makeStyle(colorEnabled(process.stdout, flags.color)), terminalWidth(process.stdout), notChecked));
    // What could not be read may hide actions: say so, and do not report success.
    for (const i of snapshot.incomplete) process.stderr.write(`warning: could not read ${terminalSafe(i.resource)}: ${terminalSafe(i.reason, 2000)}; nothing is concluded from its absence\n`);
    const bad = result.actions.some((a) => ['refused', 'failed', 'aborted', 'declined', 'unresolved'].includes(a.status));
    const incomplete = snapshot.incomplete.length ? EXIT.INCOMPLETE : EXIT.OK;
    process.exitCode = dryRun === 'client' ? incomplete : bad ? EXIT.FINDINGS : incomplete;
  });
  return cmd;
}
