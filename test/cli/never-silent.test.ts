// Through the built binary: a dump where a pod has waited 40 minutes with attach warnings that no specific check
// explains is never "No stuck volumes found": exit 1 and the message quoted as Kubernetes wrote it.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runBinary, unwrapped } from './run-binary.js';
import { shortenGeneratedNames } from '../../src/report/layout.js';
import { asList } from '../fixtures/builders.js';
import { REALWORLD, realWorldDump } from '../fixtures/waiting.js';

const dir = mkdtempSync(join(tmpdir(), 'vd-silent-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function dumpFor(pattern: RegExp): { file: string; message: string } {
  const m = REALWORLD.find((x) => pattern.test(x.message))!;
  const file = join(dir, `${REALWORLD.indexOf(m)}.json`);
  writeFileSync(file, JSON.stringify(asList(realWorldDump(m).objects)));
  return { file, message: m.message };
}

describe('diagnose never stays silent about a pod waiting on a volume', () => {
  it('an attach error only in the pod\'s events: exit 1, critical, the message quoted', () => {
    const { file, message } = dumpFor(/code = DeadlineExceeded desc = context deadline exceeded$/);
    const r = runBinary(['diagnose', '--from-file', file]);
    expect(r.code).toBe(1);
    expect(r.stdout).not.toContain('No stuck volumes found');
    expect(r.stdout).toContain('pod/app-0 -n rw');
    // The table shortens generated volume names; -o wide quotes the message exactly as Kubernetes wrote it.
    expect(unwrapped(r.stdout)).toContain(shortenGeneratedNames(message));
    expect(unwrapped(runBinary(['diagnose', '--from-file', file, '-o', 'wide']).stdout)).toContain(message);
    const doc = JSON.parse(runBinary(['diagnose', '--from-file', file, '-o', 'json']).stdout);
    // attach-error explains attach errors found only in events; the fallback would name the pod otherwise.
    const f = doc.findings.find((x: { check: string }) => x.check === 'attach-error');
    expect(f.severity).toBe('critical');
    expect(f.subject).toEqual({ kind: 'Pod', namespace: 'rw', name: 'app-0' });
    expect(f.summary).toContain(message);
  });

  it('a Multi-Attach event with no VolumeAttachment in the dump: exit 1, multi-attach from the event alone', () => {
    const { file, message } = dumpFor(/already used by pod\(s\) percona/);
    const r = runBinary(['diagnose', '--from-file', file, '-o', 'wide']);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('[multi-attach]');
    expect(unwrapped(r.stdout)).toContain(message);
    expect(r.stdout).toContain('based on: the event alone');
  });

  it('a scheduling block by volume node affinity: exit 1 with the scheduler\'s words', () => {
    const { file, message } = dumpFor(/volume node affinity conflict/);
    const r = runBinary(['diagnose', '--from-file', file]);
    expect(r.code).toBe(1);
    expect(unwrapped(r.stdout)).toContain(message);
  });
});
