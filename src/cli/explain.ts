import { Command } from 'commander';
import { CHECKS, findCheck } from '../checks/index.js';
import { renderStructured } from '../report/structured.js';
import { checkOutput } from './options.js';
import { UsageError } from './errors.js';
import { renderCheckDoc, renderCheckList } from '../report/explain-table.js';
import { terminalWidth } from '../report/layout.js';

const OUTPUTS = ['table', 'json', 'yaml'];

export function explainCommand(): Command {
  return new Command('explain')
    .description('List the checks, or explain one: what it means, how to confirm it by hand, the safe fix, what never to do')
    .argument('[check]', 'check id, e.g. multi-attach')
    .option('-o, --output <format>', `output format: ${OUTPUTS.join('|')}`, 'table')
    .addHelpText('after', `
Examples:
  kubectl volume-doctor explain
  kubectl volume-doctor explain multi-attach
  kubectl volume-doctor explain -o json`)
    .action((id: string | undefined, flags: { output: string }) => {
      checkOutput(flags.output, OUTPUTS);
      const checks = id ? [findCheck(id)] : CHECKS;
      if (id && !checks[0]) throw new UsageError(`unknown check "${id}": run kubectl volume-doctor explain to list them`);
      const docs = checks.map((c) => ({ id: c!.id, title: c!.title, severity: c!.severity, reads: c!.reads, docs: c!.docs }));
      if (flags.output !== 'table') {
        process.stdout.write(renderStructured({ checks: docs }, flags.output as 'json' | 'yaml'));
      } else if (id) {
        process.stdout.write(renderCheckDoc(docs[0], terminalWidth(process.stdout)));
      } else {
        process.stdout.write(renderCheckList(docs, terminalWidth(process.stdout)));
      }
    });
}
