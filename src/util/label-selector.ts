// Checks a label selector (-l) by apimachinery's grammar before it is sent, so a typo is a usage error (exit 2)
// rather than a pods LIST the server refuses: `a=b,c!=d`, `e in (f,g)`, `h notin (i)`, `j`, `!k`, `l>3`.
import { invalidSubdomain } from './names.js';

const NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const NAME_RULE = "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";

/** Why `key` is not a label key (an optional DNS subdomain prefix and a name), or undefined. */
function invalidKey(key: string): string | undefined {
  const slash = key.indexOf('/');
  const [prefix, name] = slash < 0 ? [undefined, key] : [key.slice(0, slash), key.slice(slash + 1)];
  if (prefix !== undefined) {
    const why = prefix === '' ? 'prefix part must be non-empty' : invalidSubdomain(prefix);
    if (why) return `invalid label key "${key}": prefix part ${why}`;
  }
  if (name === '' || name.length > 63 || !NAME.test(name)) return `invalid label key "${key}": name part ${name.length > 63 ? 'must be no more than 63 characters' : NAME_RULE}`;
  return undefined;
}

function invalidValue(value: string): string | undefined {
  if (value === '') return undefined;
  if (value.length > 63) return `invalid label value "${value}": must be no more than 63 characters`;
  return NAME.test(value) ? undefined : `invalid label value "${value}": ${NAME_RULE}`;
}

/** Splits into words and the operators `, ( ) ! = == != < >`. */
function tokens(text: string): string[] {
  const out: string[] = [];
  const re = /\s*(==|!=|[,()!=<>]|[^\s,()!=<>]+)/gy;
  let m: RegExpExecArray | null;
  let end = 0;
  while ((m = re.exec(text)) !== null) {
    out.push(m[1]);
    end = re.lastIndex;
  }
  if (text.slice(end).trim() !== '') out.push(text.slice(end).trim());
  return out;
}

const OPERATOR = new Set([',', '(', ')', '!', '=', '==', '!=', '<', '>']);

/** `{}` when `text` is a valid selector (the empty one selects everything), else `{ error }`. */
export function parseLabelSelector(text: string): { error?: string } {
  const t = tokens(text);
  let i = 0;
  const word = (what: string): string => {
    const w = t[i++];
    if (w === undefined || OPERATOR.has(w)) throw new Error(`expected ${what}${w === undefined ? ' at the end' : ` but found "${w}"`}`);
    return w;
  };
  const check = (why: string | undefined) => {
    if (why) throw new Error(why);
  };
  try {
    while (i < t.length) {
      const negated = t[i] === '!';
      if (negated) i++;
      check(invalidKey(word('a label key')));
      const op = t[i];
      if (negated || op === undefined || op === ',') {
        // `key` and `!key`: nothing more
      } else if (op === '=' || op === '==' || op === '!=') {
        i++;
        const value = t[i] === undefined || t[i] === ',' ? '' : word('a value');
        check(invalidValue(value));
      } else if (op === '<' || op === '>') {
        i++;
        const value = word('an integer');
        if (!/^-?\d+$/.test(value)) throw new Error(`for '${op}' the value must be an integer, not "${value}"`);
      } else if (op === 'in' || op === 'notin') {
        i++;
        if (t[i++] !== '(') throw new Error(`expected "(" after ${op}`);
        for (;;) {
          const value = t[i] === ',' || t[i] === ')' ? '' : word('a value');
          check(invalidValue(value));
          const next = t[i++];
          if (next === ')') break;
          if (next !== ',') throw new Error(`expected "," or ")" in the ${op} list${next === undefined ? '' : ` but found "${next}"`}`);
        }
      } else {
        throw new Error(`expected =, ==, !=, in, notin, < or > after the key, not "${op}"`);
      }
      if (i < t.length) {
        if (t[i] !== ',') throw new Error(`expected "," between requirements, not "${t[i]}"`);
        i++;
        if (i >= t.length) throw new Error('a requirement is missing after the last ","');
      }
    }
  } catch (err) {
    return { error: (err as Error).message };
  }
  return {};
}
