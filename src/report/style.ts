import { Chalk, type ChalkInstance } from 'chalk';
import type { Severity } from '../model/finding.js';

/** Colour only on a TTY, never with NO_COLOR or --no-color. */
export function makeStyle(enabled: boolean): ChalkInstance {
  return new Chalk({ level: enabled ? 1 : 0 });
}

export function colorEnabled(stream: NodeJS.WriteStream, noColorFlag: boolean): boolean {
  return !noColorFlag && !process.env.NO_COLOR && !!stream.isTTY;
}

export function severityLabel(style: ChalkInstance, severity: Severity): string {
  const label = severity.toUpperCase().padEnd(8);
  return severity === 'critical' ? style.red.bold(label) : severity === 'warning' ? style.yellow(label) : style.cyan(label);
}
