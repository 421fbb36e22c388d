import { Chalk, type ChalkInstance } from 'chalk';
import type { Severity } from '../model/finding.js';

export const COLOR_MODES = ['auto', 'always', 'never'] as const;
export type ColorMode = (typeof COLOR_MODES)[number];

/** Basic colours only: every terminal that shows colour shows these. */
export function makeStyle(enabled: boolean): ChalkInstance {
  return new Chalk({ level: enabled ? 1 : 0 });
}

/**
 * --color auto|always|never, as kubectl-style tools take it. `--no-color` is never. auto: colour only on a
 * terminal and without NO_COLOR; always: also into a pipe (`| less -R`), whatever NO_COLOR says.
 */
export function colorEnabled(stream: { isTTY?: boolean }, mode: ColorMode | boolean): boolean {
  if (mode === false || mode === 'never') return false;
  if (mode === 'always') return true;
  return !process.env.NO_COLOR && !!stream.isTTY;
}

export function severityLabel(style: ChalkInstance, severity: Severity): string {
  const label = severity.toUpperCase().padEnd(8);
  return severity === 'critical' ? style.red.bold(label) : severity === 'warning' ? style.yellow(label) : style.cyan(label);
}
