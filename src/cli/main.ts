import { Command, CommanderError } from 'commander';
import { diagnoseCommand } from './diagnose.js';
import { fixCommand, normalizeDryRun } from './fix.js';
import { explainCommand } from './explain.js';
import { packageVersion, versionCommand } from './version.js';
import { EXIT, UserError } from './errors.js';
import { UnreadableAnswerError } from '../errors.js';
import { flagSpec, normalizeShortFlags } from './options.js';
import { terminalSafe, terminalSafeLines } from '../util/terminal-safe.js';
import { COMPLETE, COMPLETE_NO_DESC, completionCommand, runComplete } from './completion.js';

/** Longest error line we print: a server's Status message can be any size. */
const ERROR_MAX = 2000;
const writeErr = (s: string) => process.stderr.write(terminalSafeLines(s));

export function buildProgram(): Command {
  const program = new Command('kubectl volume-doctor')
    .description('Explains why a PersistentVolume will not attach or mount, and fixes it safely.')
    .version(packageVersion(), '--version', 'print the version')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .configureOutput({ writeErr })
    .addHelpText('after', `
Examples:
  kubectl volume-doctor diagnose -A
  kubectl volume-doctor diagnose pod/web-0 -n shop -o wide
  kubectl volume-doctor fix --dry-run
  kubectl volume-doctor explain multi-attach`);
  for (const sub of [diagnoseCommand(), fixCommand(), explainCommand(), versionCommand(), completionCommand()]) {
    program.addCommand(sub.exitOverride().configureOutput({ writeErr }).showHelpAfterError('(run with --help for usage)'));
  }
  return program;
}

/** The one line printed for an error we did not expect; the stack only with VOLUME_DOCTOR_DEBUG=1. */
export function unexpectedFailureLine(err: unknown): string {
  const message = err instanceof Error ? err.message || err.name : String(err);
  const debug = process.env.VOLUME_DOCTOR_DEBUG === '1' && err instanceof Error && err.stack ? `\n${err.stack}` : '';
  return `error: unexpected failure: ${terminalSafe(message, ERROR_MAX)}${debug}\n`;
}

/** Argv as kubectl would read it: a bare --dry-run is client, `-n=shop` is shop. */
export function normalizeArgv(argv: string[], program: Command): string[] {
  return normalizeShortFlags(normalizeDryRun(argv), flagSpec(program));
}

export async function main(argv: string[], program: Command = buildProgram()): Promise<number> {
  if (argv[0] === COMPLETE || argv[0] === COMPLETE_NO_DESC) return runComplete(program, argv.slice(1), argv[0] === COMPLETE, (s) => process.stdout.write(s));
  try {
    await program.parseAsync(normalizeArgv(argv, program), { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : EXIT.OK;
  } catch (err) {
    if (err instanceof CommanderError) {
      const ok = ['commander.helpDisplayed', 'commander.version', 'commander.help'].includes(err.code);
      return ok ? EXIT.OK : EXIT.USAGE;
    }
    if (err instanceof UserError) {
      process.stderr.write(`error: ${terminalSafe(err.message, ERROR_MAX)}\n`);
      return err.exitCode;
    }
    if (err instanceof UnreadableAnswerError) {
      process.stderr.write(`error: ${terminalSafe(err.message, ERROR_MAX)}\n`);
      return EXIT.INCOMPLETE;
    }
    process.stderr.write(unexpectedFailureLine(err));
    return EXIT.INCOMPLETE;
  }
}

/**
 * Whatever escapes main (a stray rejection, an exception in a callback) ends the run with one line and exit 3,
 * never a stack. A reader that closes stdout early (`| head`) ends it quietly.
 */
export function installProcessHandlers(): void {
  const fail = (err: unknown) => {
    process.stderr.write(unexpectedFailureLine(err));
    process.exit(EXIT.INCOMPLETE);
  };
  process.on('uncaughtException', fail);
  process.on('unhandledRejection', fail);
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(EXIT.INCOMPLETE);
    fail(err);
  });
}
