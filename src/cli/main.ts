import { Command, CommanderError } from 'commander';
import { diagnoseCommand } from './diagnose.js';
import { fixCommand, normalizeDryRun } from './fix.js';
import { explainCommand } from './explain.js';
import { packageVersion, versionCommand } from './version.js';
import { EXIT, UserError } from './errors.js';
import { UnreadableAnswerError } from '../errors.js';

export function buildProgram(): Command {
  const program = new Command('kubectl volume-doctor')
    .description('Explains why a PersistentVolume will not attach or mount, and fixes it safely.')
    .version(packageVersion(), '--version', 'print the version')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) })
    .addHelpText('after', `
Examples:
  kubectl volume-doctor diagnose -A
  kubectl volume-doctor diagnose pod/web-0 -n shop -o wide
  kubectl volume-doctor fix --dry-run
  kubectl volume-doctor explain multi-attach`);
  for (const sub of [diagnoseCommand(), fixCommand(), explainCommand(), versionCommand()]) {
    program.addCommand(sub.exitOverride().configureOutput({ writeErr: (s) => process.stderr.write(s) }).showHelpAfterError('(run with --help for usage)'));
  }
  return program;
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(normalizeDryRun(argv), { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : EXIT.OK;
  } catch (err) {
    if (err instanceof CommanderError) {
      const ok = ['commander.helpDisplayed', 'commander.version', 'commander.help'].includes(err.code);
      return ok ? EXIT.OK : EXIT.USAGE;
    }
    if (err instanceof UserError) {
      process.stderr.write(`error: ${err.message}\n`);
      return err.exitCode;
    }
    if (err instanceof UnreadableAnswerError) {
      process.stderr.write(`error: ${err.message}\n`);
      return EXIT.INCOMPLETE;
    }
    process.stderr.write(`error: unexpected failure: ${(err as Error)?.stack ?? String(err)}\n`);
    return EXIT.INCOMPLETE;
  }
}
