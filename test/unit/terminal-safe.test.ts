import { describe, expect, it } from 'vitest';
import yaml from 'js-yaml';
import { terminalSafe, terminalSafeLines } from '../../src/util/terminal-safe.js';
import { renderStructured } from '../../src/report/structured.js';
import { renderDiagnosisTable } from '../../src/report/diagnosis-table.js';
import { renderPlanTable } from '../../src/report/plan-table.js';
import { buildDiagnosis } from '../../src/report/diagnosis.js';
import { makeStyle } from '../../src/report/style.js';
import { diagnoseSnapshot } from '../../src/engine.js';
import { plan } from '../../src/remedy/plan.js';
import { ago, boundVolume, lease, node, pod, unvalidatedSnapshotOf, volumeAttachment } from '../fixtures/builders.js';

const HOSTILE = '\x1b[2J\x1b]0;owned\x07\n0 critical\r\u202etxt\u2066\x9b31m\x7f\t\u2028\u200b\ufeff';
const RAW_CONTROL = /[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\u2028\u2029\u200b\ufeff]/;
/** The same, but the line breaks a document or table is made of. */
const RAW_IN_OUTPUT = /[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\u2028\u2029\u200b\ufeff]/;

describe('terminalSafe', () => {
  it('shows every control, bidi and separator character as a visible escape', () => {
    expect(terminalSafe(HOSTILE)).toBe('\\x1b[2J\\x1b]0;owned\\x07\\n0 critical\\r\\u202etxt\\u2066\\x9b31m\\x7f\\t\\u2028\\u200b\\ufeff');
    expect(terminalSafe('\x00\x01\x1f')).toBe('\\x00\\x01\\x1f');
    for (const c of ['\u202a', '\u202b', '\u202c', '\u202d', '\u202e', '\u2066', '\u2067', '\u2068', '\u2069', '\u200e', '\u200f', '\u061c', '\u2029']) {
      expect(terminalSafe(c)).toMatch(/^\\u[0-9a-f]{4}$/);
    }
  });

  it('leaves ordinary text alone, whatever its script', () => {
    for (const s of ['pod/web-0 -n shop', 'Zürich 東京 Ελλάδα', 'emoji 👩‍💻 ok', "quotes ' \" and \\ backslash", '']) {
      expect(terminalSafe(s)).toBe(s);
    }
  });

  it('escapes lone surrogates, keeps pairs', () => {
    expect(terminalSafe('a\ud800b')).toBe('a\\ud800b');
    expect(terminalSafe('a\udc00')).toBe('a\\udc00');
    expect(terminalSafe('😀')).toBe('😀');
  });

  it('bounds long text with an ellipsis that says how much was left out', () => {
    const s = 'x'.repeat(5000);
    const out = terminalSafe(s, 300, 'see -o json');
    expect(out.startsWith(`${'x'.repeat(300)}…`)).toBe(true);
    expect(out).toContain('4700 more characters, see -o json');
    expect(terminalSafe('x'.repeat(300), 300)).toBe('x'.repeat(300));
  });

  it('never cuts an escape or a surrogate pair in half', () => {
    expect(terminalSafe(`${'x'.repeat(8)}\x1b[2J`, 10)).toMatch(/^x{8}… \(4 more/);
    expect(terminalSafe(`${'x'.repeat(9)}😀😀`, 10)).toMatch(/^x{9}… \(4 more/);
    expect(terminalSafe(`${'x'.repeat(8)}😀😀`, 10)).toMatch(/^x{8}😀… \(2 more/);
  });

  it('terminalSafeLines keeps our line breaks and escapes the rest', () => {
    expect(terminalSafeLines('one\ntwo\x1b[2J\tthree\n')).toBe('one\ntwo\\x1b[2J\\tthree\n');
    expect(terminalSafeLines('abcdef\nab', 3)).toBe('abc… (3 more characters)\nab');
  });
});

describe('renderStructured', () => {
  const doc = { apiVersion: 'v', items: [HOSTILE, 'multi\nline\n', 'plain', 'true', '', 'é'], nested: { s: `bidi\u202eonly` } };

  it('JSON escapes what JSON.stringify leaves raw and parses back to the same document', () => {
    const out = renderStructured(doc, 'json');
    expect(out).not.toMatch(RAW_IN_OUTPUT);
    expect(out).toContain('\\u202e');
    expect(out).toContain('\\u009b');
    expect(JSON.parse(out)).toEqual(doc);
  });

  it('YAML escapes the same characters inside double quotes and loads back to the same document', () => {
    const out = renderStructured(doc, 'yaml');
    expect(out).not.toMatch(RAW_IN_OUTPUT);
    expect(yaml.load(out, { schema: yaml.CORE_SCHEMA })).toEqual(doc);
  });

  it('YAML of an ordinary document is unchanged: plain keys and values', () => {
    expect(renderStructured({ apiVersion: 'volume-doctor/v1', kind: 'Diagnosis', list: ['a b', 'x\ny'] }, 'yaml'))
      .toBe('apiVersion: volume-doctor/v1\nkind: Diagnosis\nlist:\n  - a b\n  - |-\n    x\n    y\n');
  });

  it('YAML stays exact when a key holds a bidi character', () => {
    const odd = { ['k\u202ey']: 'v\u202e' };
    expect(yaml.load(renderStructured(odd, 'yaml'), { schema: yaml.CORE_SCHEMA })).toEqual(odd);
  });
});

describe('human renderers with colour on', () => {
  const down = `worker-3${HOSTILE}`;
  // Names like these are dropped by the readers; the renderers must still escape whatever reaches them.
  const snapshot = unvalidatedSnapshotOf([
    node(down, { ready: 'Unknown', since: ago('25m') }), lease(down, ago('25m40s')),
    ...boundVolume('prod', 'data-db-0', 'pvc-9f8e7d6c'),
    volumeAttachment({ pv: 'pvc-9f8e7d6c', node: down, attached: true, attachError: { time: ago('1m'), message: HOSTILE } }),
    pod('prod', `db-0${HOSTILE}`, { node: down, claims: ['data-db-0'], owner: { kind: 'StatefulSet', name: 'db' }, deletionTimestamp: ago('19m'), grace: 30, created: ago('72h') }),
  ]);
  const { findings, graph } = diagnoseSnapshot(snapshot);
  const withoutColour = (s: string) => s.replace(/\x1b\[[0-9;]*m/g, '');

  it('the only escape sequences in the diagnosis table are our colours', () => {
    expect(findings.length).toBeGreaterThan(0);
    for (const wide of [false, true]) {
      const out = renderDiagnosisTable(buildDiagnosis(snapshot, findings), findings, makeStyle(true), wide);
      expect(out).toMatch(/\x1b\[31m/);
      expect(withoutColour(out).replace(/\n/g, '')).not.toMatch(RAW_CONTROL);
      expect(out).toContain('worker-3\\x1b[2J');
    }
  });

  it('the only escape sequences in the plan table are our colours', () => {
    const p = plan(findings, graph, { confirmNodeDown: [down], nodeDownForMs: 5 * 60_000 }, true);
    expect(p.actions.length).toBeGreaterThan(0);
    const out = renderPlanTable(p, makeStyle(true));
    expect(out).toMatch(/\x1b\[3[12]m/);
    expect(withoutColour(out).replace(/\n/g, '')).not.toMatch(RAW_CONTROL);
    expect(out).toContain('kubectl taint node worker-3\\x1b[2J');
  });
});
