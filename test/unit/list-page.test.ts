import { describe, expect, it } from 'vitest';
import { splitListPage } from '../../src/cluster/list-page.js';

/** Whether the caller can use a split: its envelope and every item parse (otherwise it parses the page whole). */
function usable(text: string): boolean {
  const split = splitListPage(text);
  if (!split) return false;
  try {
    JSON.parse(split.envelope);
    for (const item of split.items) JSON.parse(item);
    return true;
  } catch {
    return false;
  }
}

/** What a split must mean: the envelope and the items, parsed, are exactly the page JSON.parse reads. */
function expectFaithful(text: string): void {
  const split = splitListPage(text);
  expect(split, text).toBeDefined();
  const whole = JSON.parse(text);
  const envelope = JSON.parse(split!.envelope);
  expect(envelope.items).toEqual([]);
  expect({ ...envelope, items: split!.items.map((i) => JSON.parse(i)) }).toEqual(whole);
}

describe('a LIST page split into its envelope and items', () => {
  it('splits what the API server writes, whatever the items hold', () => {
    expectFaithful(JSON.stringify({ kind: 'PodList', apiVersion: 'v1', metadata: { resourceVersion: '7', continue: 'eyJ2Ijoi', remainingItemCount: 3 }, items: [
      { metadata: { name: 'a', annotations: { note: 'brackets ] } [ { and "quotes" and \\ backslashes \\" and ,commas,' } }, spec: { volumes: [{ name: 'data' }, null] } },
      { metadata: { name: 'b\u00e9\u4e2d' }, status: { conditions: [] } },
      'a string item', 42, [1, [2, [3]]], null, true,
    ] }));
    expectFaithful(JSON.stringify({ kind: 'PodList', items: [] }));
    expectFaithful(JSON.stringify({ items: [{}], metadata: {} }));
    expectFaithful('  {\n "kind" : "PodList" ,\n "items" : [ {"a" : "\\\\"} ,\n\t{"b":"\\"]"} ] , "metadata":{"continue":""}\n}\n');
    // Keys named items below the top level are not the list's items.
    expectFaithful(JSON.stringify({ metadata: { items: ['x'] }, items: [{ spec: { items: [1, 2] } }] }));
  });

  it('leaves everything unusual to JSON.parse: the caller parses those whole, with the same errors as before', () => {
    for (const text of [
      '', 'null', '[]', '"items"', '{"items":null}', '{"kind":"PodList"}', '{"items":{}}',
      '{"items":[1,]}', '{"items":[,1]}', '{"items":[1,,2]}', '{"items":[1],"items":[2]}',
      '{"items":[1]', '{"items":[1]}}', '{"items":[1]} trailing', '{"items":["unterminated]}',
    ]) {
      if (usable(text)) {
        // Only when the whole is JSON may a split stand, and then it must mean the same.
        expect(() => JSON.parse(text), text).not.toThrow();
        expectFaithful(text);
      }
    }
    expect(splitListPage('{"items":[1,]}')).toBeUndefined();
    expect(splitListPage('{"items":[1],"items":[2]}')).toBeUndefined();
    expect(splitListPage('{"items":null}')).toBeUndefined();
  });

  it('a usable split is always what JSON.parse reads, and valid pages always split (random pages)', () => {
    let seed = 7;
    const rand = (n: number) => { seed = (seed * 1103515245 + 12345) % 2 ** 31; return seed % n; };
    const pieces = ['{', '}', '[', ']', ',', ':', '"', '\\', '"items"', '"x"', '1', ' ', 'null', '"]"', '"\\""'];
    for (let round = 0; round < 3000; round++) {
      const valid = round % 2 === 0;
      let text: string;
      if (valid) {
        const value = (depth: number): unknown => {
          const k = rand(depth > 3 ? 3 : 6);
          return k === 0 ? 'q"]}[{\\,' : k === 1 ? rand(100) : k === 2 ? null : k === 3 ? [value(depth + 1), value(depth + 1)] : k === 4 ? { items: value(depth + 1), s: '}' } : [];
        };
        text = JSON.stringify({ kind: 'L', items: Array.from({ length: rand(5) }, () => value(0)), metadata: { continue: 'c' } }, null, rand(2) ? 1 : undefined);
      } else {
        text = `{"items":[${Array.from({ length: 1 + rand(12) }, () => pieces[rand(pieces.length)]).join('')}]}`;
      }
      let parsed = true;
      try { JSON.parse(text); } catch { parsed = false; }
      if (valid) expect(usable(text), text).toBe(true);
      if (usable(text)) {
        expect(parsed, text).toBe(true);
        expectFaithful(text);
      }
    }
  });
});
