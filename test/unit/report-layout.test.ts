import { describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { readDumps } from '../../src/cluster/dump-reader.js';
import { diagnoseSnapshot } from '../../src/engine.js';
import { buildDiagnosis } from '../../src/report/diagnosis.js';
import { mergeSteps, renderDiagnosisTable } from '../../src/report/diagnosis-table.js';
import { renderPlanTable } from '../../src/report/plan-table.js';
import { renderCheckDoc, renderCheckList } from '../../src/report/explain-table.js';
import { displayWidth, keepCommandsWhole, shortenGeneratedNames, stripAnsi, terminalWidth, wrap } from '../../src/report/layout.js';
import { colorEnabled, makeStyle } from '../../src/report/style.js';
import { plan, taintReminder, withoutReminder } from '../../src/remedy/plan.js';
import type { Action } from '../../src/remedy/types.js';
import { CHECKS } from '../../src/checks/index.js';

const EXAMPLE = fileURLToPath(new URL('../../examples/stuck-cluster.json', import.meta.url));
const snapshot = readDumps([EXAMPLE]);
const { graph, findings } = diagnoseSnapshot(snapshot);
const diagnosis = buildDiagnosis(snapshot, findings);
const colour = makeStyle(true);
const plain = makeStyle(false);
const dryRun = (confirm: string[] = []) => plan(findings, graph, { confirmNodeDown: confirm, nodeDownForMs: 5 * 60_000 }, true);

const unwrap = (s: string) => s.replace(/ \\\n[ │]*/g, ' ').replace(/ *\n[ │]*/g, ' ');

function widest(text: string): number {
  return Math.max(...text.split('\n').map(displayWidth));
}

describe('wrap', () => {
  it('breaks at word boundaries with a hanging indent, never past the width', () => {
    const text = 'the attach/detach controller will not attach an exclusive volume to a second node while the first one still has it';
    const lines = wrap(text, 40, '  1. ', '     ');
    expect(lines.length).toBeGreaterThan(2);
    expect(lines[0].startsWith('  1. the')).toBe(true);
    for (const l of lines.slice(1)) expect(l).toMatch(/^ {5}\S/);
    for (const l of lines) expect(displayWidth(l)).toBeLessThanOrEqual(40);
    // No word was cut: the words read back in order.
    expect(lines.map((l) => l.trim().replace(/^1\. /, '')).join(' ')).toBe(text);
  });

  it('cuts only a word wider than the room, and counts wide characters twice and colours not at all', () => {
    const lines = wrap(`see ${'a'.repeat(100)} end`, 40, '', '  ');
    for (const l of lines) expect(displayWidth(l)).toBeLessThanOrEqual(40);
    expect(lines.join('').replace(/\s/g, '')).toBe(`see${'a'.repeat(100)}end`);
    expect(displayWidth('東京')).toBe(4);
    expect(displayWidth('\x1b[31mred\x1b[39m')).toBe(3);
    for (const l of wrap('東京 '.repeat(30), 41)) expect(displayWidth(l)).toBeLessThanOrEqual(41);
  });

  it('keeps the spaces between words as the text has them, except at a break', () => {
    expect(wrap('a  b   c', 40)).toEqual(['a  b   c']);
    expect(wrap(`${'x'.repeat(38)}  y`, 40)).toEqual(['x'.repeat(38), 'y']);
  });

  it('uses the terminal width on a TTY and 80 otherwise', () => {
    expect(terminalWidth({ isTTY: true, columns: 132 })).toBe(132);
    expect(terminalWidth({ isTTY: false, columns: 132 })).toBe(80);
    expect(terminalWidth({})).toBe(80);
  });

  it('shortens generated names one way: csi-<sha256> and pvc-<uuid>', () => {
    const va = `csi-${'85a4f2'}${'0'.repeat(58)}`;
    expect(shortenGeneratedNames(`VolumeAttachment ${va} holds pvc-1d2c3b4a-0000-4000-8000-000000000000`)).toBe('VolumeAttachment csi-85a4f2… holds pvc-1d2c3b4a…');
    expect(shortenGeneratedNames('pvc-1d2c3b4a and csi-short stay')).toBe('pvc-1d2c3b4a and csi-short stay');
  });
});

describe('commands in the next steps', () => {
  const step = (text: string, width = 80) => wrap(keepCommandsWhole(text), width, '    1. ', '       ');

  it('are never broken across lines when they fit on one: the copied line runs', () => {
    const lines = step('Remove the taint when the node is back: kubectl taint node worker-3 node.kubernetes.io/out-of-service-');
    expect(lines).toContain('       kubectl taint node worker-3 node.kubernetes.io/out-of-service-');
    expect(lines.every((l) => displayWidth(l) <= 80)).toBe(true);
  });

  it('wider than a line, break between words with a shell\'s " \\", and nothing else follows on their last line', () => {
    const command = "kubectl patch volumeattachment csi-85a4f231ac34e67e69af634b6d06a394626973899d2e9b5f3722ca79e2c3b25e --type=json -p '[{\"op\":\"remove\",\"path\":\"/metadata/finalizers\"}]'";
    const lines = step(`Only if the backend confirms it is detached: ${command}. Removing the finalizer otherwise can attach it twice.`);
    expect(lines.every((l) => displayWidth(l) <= 80)).toBe(true);
    const start = lines.findIndex((l) => l.trim().startsWith('kubectl patch'));
    const end = lines.findIndex((l, i) => i > start && !l.endsWith(' \\'));
    // What a shell reads from the copied lines: each " \" and line break joins the next line.
    expect(lines.slice(start, end + 1).join('\n').trim().replace(/ \\\n\s+/g, ' ')).toBe(command);
    expect(lines[end + 1].trim()).toBe('Removing the finalizer otherwise can attach it twice.');
  });

  it('are never broken inside a quoted string, where a shell keeps the " \\" and the line break', () => {
    const lines = step("Check it: kubectl -n longhorn-system get replicas.longhorn.io pvc-lh000001-r-1 -o jsonpath='{.spec.nodeID} {.spec.diskID} {.status.currentState}'");
    const quoted = lines.find((l) => l.includes("jsonpath='"))!;
    expect(quoted.trim()).toBe("jsonpath='{.spec.nodeID} {.spec.diskID} {.status.currentState}'");
    expect(lines.filter((l) => l.endsWith(' \\')).every((l) => (l.match(/'/g) ?? []).length % 2 === 0)).toBe(true);
  });

  it('end where the sentence goes on: before prose, a parenthesis they did not open, a colon or a semicolon', () => {
    const kept = (text: string) => keepCommandsWhole(text).split('\ue001')[0].split(/[ (]/).pop()!.replaceAll('\ue000', ' ');
    expect(kept('Confirm: findmnt -rn -o TARGET | grep /var/lib/kubelet/pods/ and compare the uids')).toBe('findmnt -rn -o TARGET | grep /var/lib/kubelet/pods/');
    expect(kept('remove it (Longhorn UI, or kubectl -n longhorn-system delete replicas.longhorn.io r-1) and Longhorn rebuilds it')).toBe('kubectl -n longhorn-system delete replicas.longhorn.io r-1');
    expect(kept('kubectl -n longhorn-system get volumes.longhorn.io VOLUME -o yaml: look at status.robustness')).toBe('kubectl -n longhorn-system get volumes.longhorn.io VOLUME -o yaml');
    expect(keepCommandsWhole('Restart the kubelet (or reboot the node) once it is drained.')).toBe('Restart the kubelet (or reboot the node) once it is drained.');
  });
});

describe('the example fits the terminal', () => {
  for (const width of [80, 100]) {
    it(`diagnose (table and wide), the fix plan and explain stay within ${width} columns`, () => {
      const outputs = [
        renderDiagnosisTable(diagnosis, findings, colour, false, width),
        renderDiagnosisTable(diagnosis, findings, colour, true, width),
        renderPlanTable(dryRun(), colour, width),
        renderPlanTable(dryRun(['worker-2', 'worker-3']), colour, width),
        renderCheckList(CHECKS, width),
        ...CHECKS.map((c) => renderCheckDoc(c, width)),
      ];
      for (const out of outputs) expect(widest(out)).toBeLessThanOrEqual(width);
      // It is the width that shapes the output, not a fixed cut.
      expect(widest(outputs[0])).toBeGreaterThan(width - 10);
    });
  }
});

describe('the diagnosis table', () => {
  const table = stripAnsi(renderDiagnosisTable(diagnosis, findings, colour, false, 100));

  it('prints one next-step block per node, however many stories point at it', () => {
    expect(table.match(/Make sure node worker-2 is really powered off/g)).toHaveLength(1);
    expect(table.match(/Make sure node worker-3 is really powered off/g)).toHaveLength(1);
    const nodeStory = table.split('\n\n').find((s) => s.startsWith('CRITICAL node/worker-2'))!;
    expect(nodeStory).toContain('Next step: the same as for pod/web-7d9f6c-x2k4p -n shop above.');
  });

  it('marks every finding line with its severity', () => {
    const lines = table.split('\n').filter((l) => /^ {2}[├└]─/.test(l));
    expect(lines.length).toBe(findings.length);
    for (const l of lines) expect(l).toMatch(/^ {2}[├└]─ (CRITICAL|WARNING |INFO {4}) \[/);
    expect(lines.some((l) => l.includes('INFO     [volume-in-use-without-pod]'))).toBe(true);
  });

  it('heads a Terminating StatefulSet pod\'s story with its replacement, not the pod itself', () => {
    expect(table).toContain('CRITICAL the replacement of pod/db-0 -n prod cannot start: the old pod is stuck Terminating on');
    expect(table).not.toMatch(/^CRITICAL pod\/db-0 -n prod cannot start/m);
  });

  it('shortens generated names in the table and shows them whole with -o wide', () => {
    const full = 'csi-85a4f231ac34e67e69af634b6d06a394626973899d2e9b5f3722ca79e2c3b25e';
    const story = table.split('\n\n').find((s) => s.includes('pod/ledger-0'))!;
    expect(unwrap(story)).toContain('VolumeAttachment csi-85a4f2… (pvc-4b4b4b4b on worker-1)');
    const wide = stripAnsi(renderDiagnosisTable(diagnosis, findings, colour, true, 200));
    expect(wide).toContain(`VolumeAttachment ${full} (pvc-4b4b4b4b on worker-1)`);
  });

  it('-o wide merges the steps of a story: each once, checks before the actions they guard, warnings last', () => {
    const wide = stripAnsi(renderDiagnosisTable(diagnosis, findings, colour, true, 400));
    const story = wide.split('\n\n').find((s) => s.includes('pod/web-7d9f6c-x2k4p -n shop cannot start'))!;
    const steps = story.split('\n').filter((l) => /^ {4}\d+\. /.test(l)).map((l) => l.replace(/^ {4}\d+\. /, ''));
    expect(new Set(steps).size).toBe(steps.length);
    const taint = steps.findIndex((s) => s.startsWith('Then mark it out of service'));
    const checks = steps.map((s, i) => [s, i] as const).filter(([s]) => /^(Make sure|Check)/.test(s));
    expect(taint).toBeGreaterThan(0);
    for (const [, i] of checks) expect(i).toBeLessThan(taint);
    expect(steps[steps.length - 1]).toMatch(/^Never/);
  });

  it('mergeSteps keeps one list as written and orders several', () => {
    expect(mergeSteps([['Do it', 'Check it']])).toEqual(['Do it', 'Check it']);
    expect(mergeSteps([['Taint it', 'Never delete it'], ['Check it is off', 'Taint it']])).toEqual(['Check it is off', 'Taint it', 'Never delete it']);
  });
});

describe('the fix plan', () => {
  it('says what a dry run still needs, in a neutral colour, not a red "refused"', () => {
    const out = renderPlanTable(dryRun(), colour, 80);
    expect(out).toContain('\x1b[36mneeds --confirm-node-down worker-2\x1b[39m');
    expect(stripAnsi(out)).not.toMatch(/\brefused\b/);
    expect(stripAnsi(out)).toContain('2 waiting for --confirm-node-down, 1 planned');
  });

  it('shows a guard that passed without knowing as unknown, not as a tick', () => {
    const out = stripAnsi(renderPlanTable(dryRun(), colour, 100));
    expect(out).toContain('? server-supports-out-of-service (unknown): server version not in the dump');
    expect(out).not.toContain('✓ server-supports-out-of-service');
  });

  it('prints why an action was refused at the prompt, but not the plan\'s refusal again under its guards', () => {
    const [first] = dryRun().actions;
    expect(stripAnsi(renderPlanTable({ ...dryRun(), actions: [first] }, plain, 80))).not.toContain('refused: not confirmed');
    const atPrompt: Action = { ...first, message: 'not confirmed: "node-9" is not worker-2' };
    expect(stripAnsi(renderPlanTable({ ...dryRun(), actions: [atPrompt] }, plain, 80))).toContain('not confirmed: "node-9" is not worker-2');
  });

  it('still says "refused" in red when a guard other than the confirmation fails', () => {
    const p = dryRun(['worker-1']);
    const ready = p.actions.find((a) => a.target.name === 'worker-1')!;
    expect(ready.status).toBe('refused');
    const out = renderPlanTable({ ...p, actions: [ready] }, colour, 80);
    expect(out).toContain('\x1b[31mrefused\x1b[39m');
  });

  it('offers no command by hand for an action a failed guard stops, only for one that waits for the confirmation', () => {
    const p = dryRun(['worker-1']);
    const ready = p.actions.find((a) => a.target.name === 'worker-1')!;
    const failed = ready.guards.find((g) => !g.ok && g.name !== 'node-down-confirmed')!;
    const stopped = unwrap(stripAnsi(renderPlanTable({ ...p, actions: [ready] }, plain, 80)));
    expect(stopped).not.toContain(ready.command);
    expect(stopped).toContain(`by hand: not while ${failed.name} fails`);
    const waiting = dryRun().actions.find((a) => a.type === 'taint-out-of-service' && a.target.name === 'worker-2')!;
    expect(unwrap(stripAnsi(renderPlanTable({ ...p, actions: [waiting] }, plain, 200)))).toContain(`by hand: ${waiting.command}`);
  });

  it('does not print the taint reminder again after a live fix (it was said when the taint went on)', () => {
    const taint = dryRun(['worker-2']).actions.find((a) => a.type === 'taint-out-of-service' && a.target.name === 'worker-2')!;
    const applied: Action = { ...taint, status: 'applied', message: `applied; cleared: pod shop/web-0 runs on worker-1 (after 20s). ${taintReminder('worker-2')}` };
    expect(withoutReminder(applied)).toBe('applied; cleared: pod shop/web-0 runs on worker-1 (after 20s)');
    const out = stripAnsi(renderPlanTable({ ...dryRun(), dryRun: false, actions: [applied] }, plain, 80));
    expect(out).toContain('applied; cleared: pod shop/web-0 runs on worker-1');
    expect(out).not.toContain('remove the taint');
  });
});

describe('--color', () => {
  it('always colours into a pipe, never never does, auto needs a terminal and no NO_COLOR', () => {
    const pipe = { isTTY: false };
    const tty = { isTTY: true };
    const saved = process.env.NO_COLOR;
    try {
      delete process.env.NO_COLOR;
      expect(colorEnabled(pipe, 'always')).toBe(true);
      expect(colorEnabled(tty, 'never')).toBe(false);
      expect(colorEnabled(tty, false)).toBe(false);
      expect(colorEnabled(tty, 'auto')).toBe(true);
      expect(colorEnabled(pipe, 'auto')).toBe(false);
      process.env.NO_COLOR = '1';
      expect(colorEnabled(tty, 'auto')).toBe(false);
      expect(colorEnabled(pipe, 'always')).toBe(true);
    } finally {
      if (saved === undefined) delete process.env.NO_COLOR;
      else process.env.NO_COLOR = saved;
    }
  });
});
