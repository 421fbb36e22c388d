// Text layout for the human views: display width, word wrap with hanging indents, the terminal's width, and the
// one way long generated names are shortened. Input is already terminal-safe; the only escapes in it are our colours.

/** Width when stdout is not a terminal (a pipe, a file) or does not say. */
export const DEFAULT_WIDTH = 80;
/** Narrower than this and no layout reads well; wrap as if it were this wide. */
const MIN_WIDTH = 40;

export function terminalWidth(stream: { isTTY?: boolean; columns?: number }): number {
  const columns = stream.isTTY ? stream.columns : undefined;
  return columns && columns > 0 ? columns : DEFAULT_WIDTH;
}

// eslint-disable-next-line no-control-regex -- terminal control characters are exactly what this matches
const SGR = /\x1b\[[0-9;]*m/g;
const PLAIN_ASCII = /^[\x20-\x7e]*$/;

export function stripAnsi(s: string): string {
  return s.replace(SGR, '');
}

function isWide(cp: number): boolean {
  return (cp >= 0x1100 && cp <= 0x115f) || (cp >= 0x2e80 && cp <= 0x303e) || (cp >= 0x3041 && cp <= 0x33ff)
    || (cp >= 0x3400 && cp <= 0x4dbf) || (cp >= 0x4e00 && cp <= 0x9fff) || (cp >= 0xa000 && cp <= 0xa4cf)
    || (cp >= 0xac00 && cp <= 0xd7a3) || (cp >= 0xf900 && cp <= 0xfaff) || (cp >= 0xfe30 && cp <= 0xfe4f)
    || (cp >= 0xff00 && cp <= 0xff60) || (cp >= 0xffe0 && cp <= 0xffe6) || (cp >= 0x1f300 && cp <= 0x1f64f)
    || (cp >= 0x1f900 && cp <= 0x1f9ff) || (cp >= 0x20000 && cp <= 0x3fffd);
}

function isZeroWidth(cp: number): boolean {
  return (cp >= 0x0300 && cp <= 0x036f) || (cp >= 0x1ab0 && cp <= 0x1aff) || (cp >= 0x1dc0 && cp <= 0x1dff)
    || (cp >= 0x20d0 && cp <= 0x20ff) || (cp >= 0xfe00 && cp <= 0xfe0f) || (cp >= 0xfe20 && cp <= 0xfe2f);
}

function charWidth(ch: string): number {
  const cp = ch.codePointAt(0)!;
  return isZeroWidth(cp) ? 0 : isWide(cp) ? 2 : 1;
}

/** Columns the text takes on a terminal: colours take none, East Asian wide characters two, combining marks none. */
export function displayWidth(s: string): number {
  if (PLAIN_ASCII.test(s)) return s.length;
  let w = 0;
  for (const ch of stripAnsi(s)) w += charWidth(ch);
  return w;
}

/** Cuts a word wider than `width` into pieces that fit, keeping colour escapes whole. */
function splitWord(word: string, width: number): string[] {
  const pieces: string[] = [];
  let cur = '';
  let w = 0;
  // eslint-disable-next-line no-control-regex -- terminal control characters are exactly what this matches
  const tokens = word.split(/(\x1b\[[0-9;]*m)/);
  for (const token of tokens) {
    if (token.startsWith('\x1b[')) {
      cur += token;
      continue;
    }
    for (const ch of token) {
      const cw = charWidth(ch);
      if (w + cw > width && w > 0) {
        pieces.push(cur);
        cur = '';
        w = 0;
      }
      cur += ch;
      w += cw;
    }
  }
  if (cur) pieces.push(cur);
  return pieces;
}

/** Joins the words of a command that is kept whole: wrap() never breaks a word holding it. */
const KEEP = '\ue000';
/** Where a kept command ends, when text follows it without a space (a closing parenthesis). */
const END = '\ue001';
const COMMAND = /(?<=^|[\s(])(?:kubectl|journalctl|findmnt|crictl|umount|systemctl) /g;
/** Prose that ends a command written inside a sentence ("... grep /var/lib/kubelet/pods/ and compare ..."). */
const PROSE = new Set(['and', 'then', 'to', 'so', 'if', 'when', 'until', 'shows', 'is', 'are', 'or']);

/**
 * Marks the shell commands in a sentence ("Remove the taint: kubectl taint node worker-2 ...-") so that wrap()
 * keeps each on one line, or breaks it with a shell's ` \` when it is wider than a line: a command broken across
 * lines any other way does not run when copied. A command ends at the end of
 * the text or of its sentence, before a parenthesis it did not open, a `;`, `,` or `:` after a word, or prose.
 */
export function keepCommandsWhole(text: string): string {
  let out = '';
  let from = 0;
  for (const m of text.matchAll(COMMAND)) {
    if (m.index < from) continue;
    const words = text.slice(m.index).split(' ');
    const kept: string[] = [];
    let depth = 0;
    for (const [i, word] of words.entries()) {
      if (word === '' || (i > 0 && (PROSE.has(word) || word.startsWith('(')))) break;
      let w = word;
      for (const ch of w) depth += ch === '(' ? 1 : ch === ')' ? -1 : 0;
      const closesOuter = depth < 0;
      if (closesOuter) w = w.replace(/\)+[.,;:]?$/, '');
      const ends = closesOuter || /[;,:]$/.test(w) || (/\.$/.test(w) && (i === words.length - 1 || /^[A-Z]/.test(words[i + 1])));
      if (ends && !closesOuter) w = w.slice(0, -1);
      if (w) kept.push(w);
      if (ends) break;
    }
    if (kept.length < 2) continue;
    const command = kept.join(' ');
    out += text.slice(from, m.index) + command.replaceAll(' ', KEEP) + END;
    from = m.index + command.length;
  }
  return out + text.slice(from);
}

/** The words of a command as a shell splits them: words inside one quoted string stay together (no break there). */
function shellWords(words: string[]): string[] {
  const out: string[] = [];
  let quote = '';
  for (const word of words) {
    if (quote) out[out.length - 1] += ` ${word}`;
    else out.push(word);
    for (const ch of word) {
      if (!quote && (ch === "'" || ch === '"')) quote = ch;
      else if (ch === quote) quote = '';
    }
  }
  return out;
}

/**
 * Word-wraps `text` to `width` columns: the first line starts with `first`, the others with `rest` (a hanging
 * indent). Words are never cut unless one alone is wider than the room left, as a long name or command can be.
 */
export function wrap(text: string, width: number, first = '', rest = first): string[] {
  const cols = Math.max(width, MIN_WIDTH);
  const restWidth = displayWidth(rest);
  const room = Math.max(cols - restWidth, 1);
  const lines: string[] = [];
  let line = first;
  let used = displayWidth(first);
  let empty = true;
  // Spaces between words are kept as they are (a message may hold two in a row); at a line break they go.
  for (const [, gap, word] of text.matchAll(/( *)([^ ]+)/g)) {
    const w = displayWidth(word) - (word.includes(END) ? 1 : 0);
    if (!empty && used + gap.length + w <= cols) {
      line += gap + word;
      used += gap.length + w;
      continue;
    }
    if (empty && used + w <= cols) {
      line += word;
      used += w;
      empty = false;
      continue;
    }
    // It does not fit here: go on to a fresh line, unless this is a first line no wider than the others.
    if (!empty || used > restWidth) {
      lines.push(empty ? line.trimEnd() : line);
      line = rest;
      used = restWidth;
    }
    if (used + w <= cols) {
      line += word;
      used += w;
    } else if (word.includes(KEEP)) {
      // A command too long for a line of its own is broken between its words as a shell continues a line (` \`),
      // so that the lines copied together still run.
      const [command, after] = word.split(END);
      for (const [i, part] of shellWords(command.split(KEEP)).entries()) {
        const pw = displayWidth(part);
        if (i > 0 && used + 1 + pw + 2 > cols) {
          lines.push(`${line} \\`);
          line = `${rest}  `;
          used = restWidth + 2;
        } else if (i > 0) {
          line += ' ';
          used += 1;
        }
        line += part;
        used += pw;
      }
      // Nothing follows on its last line: it would be copied with the command. Punctuation closing the sentence
      // around it (a parenthesis, a full stop) would stand alone on the next line: it is left out.
      lines.push(line);
      const next = after && !/^[).,;:]+$/.test(after) ? after : '';
      line = rest + next;
      used = restWidth + displayWidth(next);
      empty = !next;
      continue;
    } else {
      const pieces = splitWord(word, room);
      for (const piece of pieces.slice(0, -1)) {
        lines.push(line + piece);
        line = rest;
      }
      const last = pieces[pieces.length - 1];
      line += last;
      used = restWidth + displayWidth(last);
    }
    empty = false;
  }
  if (!empty || !lines.length) lines.push(line);
  return lines.map((l) => (l.includes(KEEP) || l.includes(END) ? l.replaceAll(KEEP, ' ').replaceAll(END, '') : l));
}

const CSI_ATTACHMENT = /\bcsi-([0-9a-f]{6})[0-9a-f]{58}\b/g;
const PV_UUID = /\bpvc-([0-9a-f]{8})-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/g;

/**
 * Names Kubernetes generates and nobody reads in full, shortened the same way wherever the table shows them:
 * a VolumeAttachment's csi-<sha256> and a provisioned volume's pvc-<uuid>. -o wide and -o json keep them whole.
 */
export function shortenGeneratedNames(s: string): string {
  return s.replace(CSI_ATTACHMENT, 'csi-$1…').replace(PV_UUID, 'pvc-$1…');
}

/**
 * wrap() for a line whose prefixes may be coloured and whose text is painted line by line, so a colour never
 * runs across a line break into the next line's indent.
 */
export function wrapPainted(text: string, width: number, first: string, rest: string, paint?: (s: string) => string): string[] {
  const firstWidth = displayWidth(first);
  const restWidth = displayWidth(rest);
  return wrap(text, width, ' '.repeat(firstWidth), ' '.repeat(restWidth)).map((line, i) => {
    const body = line.slice(i === 0 ? firstWidth : restWidth);
    return `${i === 0 ? first : rest}${paint && body ? paint(body) : body}`;
  });
}
