// explain's human view: the list of checks as columns that fit the terminal, or one check's documentation wrapped.
import { terminalSafe } from '../util/terminal-safe.js';
import { DEFAULT_WIDTH, displayWidth, keepCommandsWhole, wrap } from './layout.js';

export interface CheckDoc {
  id: string;
  title: string;
  severity: string;
  reads: readonly string[];
  docs: string;
}

/** The title column needs this much room to read; narrower, each check becomes a block of its own. */
const TITLE_MIN = 40;

export function renderCheckList(checks: CheckDoc[], width = DEFAULT_WIDTH): string {
  const rows = checks.map((c) => ({ id: terminalSafe(c.id), severity: terminalSafe(c.severity), title: terminalSafe(c.title), reads: terminalSafe(c.reads.join(', ')) }));
  const idWidth = Math.max(5, ...rows.map((r) => displayWidth(r.id))) + 2;
  const sevWidth = 10;
  const out: string[] = [];
  if (width - idWidth - sevWidth >= TITLE_MIN) {
    const pad = (s: string, n: number) => s + ' '.repeat(Math.max(n - displayWidth(s), 0));
    const rest = ' '.repeat(idWidth + sevWidth);
    out.push(`${pad('CHECK', idWidth)}${pad('SEVERITY', sevWidth)}TITLE`);
    for (const r of rows) {
      out.push(...wrap(r.title, width, `${pad(r.id, idWidth)}${pad(r.severity, sevWidth)}`, rest));
      out.push(...wrap(`reads: ${r.reads}`, width, rest, rest));
    }
  } else {
    for (const r of rows) {
      out.push(...wrap(`${r.id} (${r.severity})`, width, '', '  '));
      out.push(...wrap(r.title, width, '  ', '  '));
      out.push(...wrap(`reads: ${r.reads}`, width, '  ', '    '));
    }
  }
  return `${out.join('\n')}\n`;
}

/** One check's documentation: each line wrapped under its own indentation, so the kubectl commands stay indented. */
export function renderCheckDoc(c: CheckDoc, width = DEFAULT_WIDTH): string {
  const out = [
    ...wrap(`${terminalSafe(c.id)} (${terminalSafe(c.severity)}): ${terminalSafe(c.title)}`, width, '', '  '),
    ...wrap(`Reads: ${terminalSafe(c.reads.join(', '))}`, width, '', '  '),
    '',
  ];
  for (const line of String(c.docs).split('\n')) {
    const indent = /^ */.exec(line)![0];
    if (line.trim() === '') out.push('');
    // Prose wraps flush; an indented line (a command) hangs under itself.
    else out.push(...wrap(keepCommandsWhole(terminalSafe(line.slice(indent.length))), width, indent, indent ? `${indent}  ` : ''));
  }
  return `${out.join('\n')}\n`;
}
