import { Command } from 'commander';
import { SEVERITY_RANK } from '../model/finding.js';
import { diagnoseSnapshot } from '../engine.js';
import { buildDiagnosis } from '../report/diagnosis.js';
import { renderDiagnosisTable } from '../report/diagnosis-table.js';
import { renderStructured } from '../report/structured.js';
import { colorEnabled, makeStyle } from '../report/style.js';
import { terminalWidth } from '../report/layout.js';
import { addCommonOptions, addNodeReadyForOption, checkOutput, CommonFlags, nodeReadyForMs, parseFailOn, TARGET_ARGUMENT_HELP } from './options.js';
import { loadSnapshot } from './load.js';
import { EXIT } from './errors.js';

const OUTPUTS = ['table', 'wide', 'json', 'yaml'];

const EXAMPLES = `
Examples:
  # Everything stuck in the current namespace
  kubectl volume-doctor diagnose

  # The whole cluster, for a runbook: JSON and an exit code (1 = findings at or above --fail-on)
  kubectl volume-doctor diagnose -A -o json --fail-on critical

  # Why is this pod stuck in ContainerCreating?
  kubectl volume-doctor diagnose pod/web-0 -n shop

  # A node, a claim, a volume or an attachment
  kubectl volume-doctor diagnose node/worker-2
  kubectl volume-doctor diagnose pvc/data-web-0 -n shop

  # Offline, from a dump (judged at the dump's newest timestamp)
  kubectl get nodes,pods,pvc,pv,volumeattachments,csinodes,csidrivers,storageclasses,events -A -o json > dump.json
  kubectl get leases -n kube-node-lease -o json > leases.json
  kubectl volume-doctor diagnose --from-file dump.json --from-file leases.json

Exit codes: 0 nothing at or above --fail-on, 1 findings at or above it, 2 usage or input error,
3 could not complete (cluster unreachable, or resources unreadable and no finding reached the threshold).`;

interface DiagnoseFlags extends CommonFlags {
  failOn: string;
  nodeReadyFor: string;
}

export function diagnoseCommand(): Command {
  const cmd = new Command('diagnose')
    .description('Find what keeps volumes from attaching or mounting, why, and the safe next step')
    .argument('[target...]', TARGET_ARGUMENT_HELP)
    .option('--fail-on <severity>', 'lowest severity that makes the exit code 1: critical|warning|info|none', 'warning');
  addNodeReadyForOption(addCommonOptions(cmd, OUTPUTS)).addHelpText('after', EXAMPLES);
  cmd.action(async (args: string[], flags: DiagnoseFlags) => {
    checkOutput(flags.output, OUTPUTS);
    const failOn = parseFailOn(flags.failOn);
    const readyTrustMs = nodeReadyForMs(flags.nodeReadyFor);
    const { snapshot, targetRef } = await loadSnapshot(flags, args);
    const { findings } = diagnoseSnapshot(snapshot, targetRef, { readyTrustMs });
    const diagnosis = buildDiagnosis(snapshot, findings);
    if (flags.output === 'json' || flags.output === 'yaml') {
      process.stdout.write(renderStructured(diagnosis, flags.output));
    } else {
      const style = makeStyle(colorEnabled(process.stdout, flags.color));
      process.stdout.write(renderDiagnosisTable(diagnosis, findings, style, flags.output === 'wide', terminalWidth(process.stdout)));
    }
    const reached = failOn !== 'none' && findings.some((f) => SEVERITY_RANK[f.severity] >= SEVERITY_RANK[failOn]);
    process.exitCode = reached ? EXIT.FINDINGS : snapshot.incomplete.length ? EXIT.INCOMPLETE : EXIT.OK;
  });
  return cmd;
}
