// Strings from the cluster or a dump are data: on a terminal they must not move the cursor, clear the screen,
// retitle the window, reorder text or start a line of their own. They are escaped visibly on the way out.

/**
 * Characters a terminal acts on or that change how text around them reads: C0 controls (newline and tab too),
 * DEL, C1 controls, bidirectional overrides and isolates, invisible marks and joiners, line and paragraph
 * separators, the byte order mark, and lone surrogates.
 */
// eslint-disable-next-line no-control-regex -- terminal control characters are exactly what this matches
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200b\u200e\u200f\u2028-\u202e\u2060-\u2064\u2066-\u2069\ufeff\ufff9-\ufffb]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
const UNSAFE_ALL = new RegExp(UNSAFE.source, 'g');

/** The same set minus C0 controls: what JSON.stringify and js-yaml leave raw inside strings. */
export const UNSAFE_PRINTABLE = /[\u007f-\u009f\u061c\u200b\u200e\u200f\u2028-\u202e\u2060-\u2064\u2066-\u2069\ufeff\ufff9-\ufffb]/g;

const NAMED: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

function escapeChar(c: string): string {
  const code = c.charCodeAt(0);
  if (NAMED[c]) return NAMED[c];
  if (code <= 0xff) return `\\x${code.toString(16).padStart(2, '0')}`;
  return `\\u${code.toString(16).padStart(4, '0')}`;
}

/** `\u202e` for a JSON or YAML double-quoted string: the same character once parsed. */
export function unicodeEscape(c: string): string {
  return `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
}

/**
 * One field made safe for a terminal: every unsafe character is shown as an escape (`\x1b`, `\n`, `\u202e`),
 * so the field stays on its line and shows what it holds. With `max`, the result is at most about `max`
 * characters: longer text is cut with an ellipsis and says how much was left out, and `hint` where to see it all.
 */
export function terminalSafe(value: string, max = Infinity, hint?: string): string {
  const s = String(value);
  if (s.length <= max && !UNSAFE.test(s)) return s;
  if (max === Infinity) return s.replace(UNSAFE_ALL, escapeChar);
  let out = '';
  let used = 0;
  for (const ch of s) {
    const piece = UNSAFE.test(ch) ? escapeChar(ch) : ch;
    if (out.length + piece.length > max) break;
    out += piece;
    used += ch.length;
  }
  if (used >= s.length) return out;
  return `${out}… (${s.length - used} more characters${hint ? `, ${hint}` : ''})`;
}

/** Text of several lines we composed ourselves: each line made safe (and bounded to `max`), the line breaks kept. */
export function terminalSafeLines(text: string, max = Infinity, hint?: string): string {
  return String(text).split('\n').map((line) => terminalSafe(line, max, hint)).join('\n');
}
