import yaml from 'js-yaml';
import { UNSAFE_PRINTABLE, unicodeEscape } from '../util/terminal-safe.js';

const YAML_OPTIONS: yaml.DumpOptions = { noRefs: true, lineWidth: -1, schema: yaml.CORE_SCHEMA };

/**
 * -o json and -o yaml: the exact data, and still safe to print on a terminal. JSON.stringify escapes C0 controls
 * and js-yaml escapes what YAML calls non-printable; both leave C1 controls or bidi overrides raw, so those are
 * written as \uXXXX escapes, which parse back to the same characters.
 */
export function renderStructured(doc: unknown, format: 'json' | 'yaml'): string {
  if (format === 'json') return `${JSON.stringify(doc, null, 2).replace(UNSAFE_PRINTABLE, unicodeEscape)}\n`;
  const out = yaml.dump(doc, YAML_OPTIONS);
  if (out.search(UNSAFE_PRINTABLE) < 0) return out;
  // \uXXXX is an escape only inside double quotes: quote every string, then escape. Keys stay plain, so keep
  // this only if it still reads back as the same document (it always does unless a key holds such a character).
  const quoted = yaml.dump(doc, { ...YAML_OPTIONS, forceQuotes: true, quotingType: '"' }).replace(UNSAFE_PRINTABLE, unicodeEscape);
  const same = (() => {
    try {
      return JSON.stringify(yaml.load(quoted, { schema: yaml.CORE_SCHEMA })) === JSON.stringify(yaml.load(out, { schema: yaml.CORE_SCHEMA }));
    } catch {
      return false;
    }
  })();
  return same ? quoted : out;
}
