// A LIST page split into its envelope and the text of each item, so each item is parsed on its own and its
// parsed objects die young, instead of one JSON.parse of megabytes whose objects outlive the young generation.

export interface SplitPage {
  /** The page without its items (`"items":[]`): kind, metadata.continue, remainingItemCount. */
  envelope: string;
  /** The text of each element of the top-level `items` array, in order. */
  items: string[];
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const isSpace = (c: number) => c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;

/** Without trailing JSON whitespace (only these four: String.trimEnd would also take what JSON does not allow). */
function trimJsonEnd(text: string): string {
  let end = text.length;
  while (end > 0 && isSpace(text.charCodeAt(end - 1))) end--;
  return text.slice(0, end);
}

/**
 * Splits a JSON object's top-level `items` array into the text of each element. Undefined when the text is not
 * an object with exactly one top-level `items` array, or is not balanced: the caller then parses it whole, so
 * anything unusual gets the same answer (and the same error) as before.
 */
export function splitListPage(text: string): SplitPage | undefined {
  let i = 0;
  while (i < text.length && isSpace(text.charCodeAt(i))) i++;
  if (text.charCodeAt(i) !== 0x7b) return undefined; // {
  let depth = 0;
  const open: number[] = [];
  let key: string | undefined;
  let expectKey = false;
  let arrayStart = -1;
  let arrayEnd = -1;
  let itemStart = -1;
  let afterComma = false;
  const items: string[] = [];
  for (; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      const start = i;
      // To the closing quote: one not preceded by an odd number of backslashes.
      for (;;) {
        i = text.indexOf('"', i + 1);
        if (i < 0) return undefined;
        let slashes = 0;
        for (let j = i - 1; text.charCodeAt(j) === BACKSLASH; j--) slashes++;
        if (slashes % 2 === 0) break;
      }
      if (depth === 1 && expectKey) {
        key = text.slice(start + 1, i);
        expectKey = false;
      }
      if (depth === 2 && arrayStart >= 0 && arrayEnd < 0 && itemStart < 0) itemStart = start;
      continue;
    }
    if (isSpace(c)) continue;
    if (depth === 2 && arrayStart >= 0 && arrayEnd < 0 && itemStart < 0 && c !== 0x5d && c !== 0x2c) itemStart = i;
    if (c === 0x7b || c === 0x5b) { // { [
      open.push(c);
      depth++;
      if (depth === 1) expectKey = true;
      if (depth === 2 && c === 0x5b && key === 'items') {
        if (arrayStart >= 0) return undefined; // a second items array: JSON.parse keeps the last; leave it to it
        arrayStart = i;
      }
    } else if (c === 0x7d || c === 0x5d) { // } ]
      if (open.pop() !== c - 2) return undefined; // not the bracket that is open: { is } - 2, [ is ] - 2
      if (depth === 2 && arrayStart >= 0 && arrayEnd < 0) {
        if (itemStart >= 0) items.push(trimJsonEnd(text.slice(itemStart, i)));
        else if (afterComma) return undefined; // a trailing comma
        itemStart = -1;
        if (c === 0x5d) arrayEnd = i;
      }
      depth--;
      if (depth === 0) {
        for (i++; i < text.length; i++) if (!isSpace(text.charCodeAt(i))) return undefined;
        break;
      }
      if (depth < 0) return undefined;
    } else if (c === 0x2c) { // ,
      if (depth === 1) expectKey = true;
      if (depth === 2 && arrayStart >= 0 && arrayEnd < 0) {
        if (itemStart < 0) return undefined; // an empty element
        items.push(trimJsonEnd(text.slice(itemStart, i)));
        itemStart = -1;
        afterComma = true;
      }
    }
  }
  if (depth !== 0 || arrayStart < 0 || arrayEnd < 0) return undefined;
  return { envelope: `${text.slice(0, arrayStart)}[]${text.slice(arrayEnd + 1)}`, items };
}
