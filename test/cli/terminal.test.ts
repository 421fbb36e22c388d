import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import yaml from 'js-yaml';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { ROOT, runBinary, runBinaryAsync, unwrapped } from './run-binary.js';
import { ago, asList, boundVolume, csiDriver, csiNode, DRIVER, lease, node, pod, podEvent, Raw, volumeAttachment } from '../fixtures/builders.js';
import { MisbehavingServer, startMisbehavingServer, status } from '../support/misbehaving-server.js';

const made: string[] = [];
const tmp = () => {
  const dir = mkdtempSync(join(tmpdir(), 'vd-term-'));
  made.push(dir);
  return dir;
};
afterAll(() => made.forEach((d) => rmSync(d, { recursive: true, force: true })));

let server: MisbehavingServer | undefined;
afterEach(async () => { await server?.close(); server = undefined; });

/** Clears the screen, retitles the window, fakes a summary line, reverses text, and a C1 CSI, DEL and a tab. */
const HOSTILE = '\x1b[2J\x1b]0;owned\x07\n0 critical, 0 warning, 0 info\r\u202etxt.exe\u2066\x9b31m\x7f\t!';
/** Anything a terminal would act on, other than the line breaks we print. */
const RAW_CONTROL = /[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\u2028\u2029]/;

const hostileNode = `worker-3${HOSTILE}`;
const hostilePod = `db-0${HOSTILE}`;
const attachError = `rpc error: code = Internal desc = ${HOSTILE}`;
const eventMessage = `Multi-Attach error for volume "pvc-1d2c3b4a" ${HOSTILE}`;

/** A dump no API server would accept: a down node and a stuck pod with hostile names, a hostile attach error and event. */
function hostileDump(): Raw {
  const waiting = pod('shop', 'web-0', { node: 'worker-1', claims: ['web-data'], state: 'ContainerCreating', created: ago('15m') });
  return asList([
    node('worker-1'), lease('worker-1', ago('5s')),
    node(hostileNode, { ready: 'Unknown', since: ago('25m') }), lease(hostileNode, ago('25m40s')),
    csiDriver(DRIVER, true), csiNode('worker-1'),
    ...boundVolume('prod', 'data-db-0', 'pvc-9f8e7d6c'),
    volumeAttachment({ pv: 'pvc-9f8e7d6c', node: hostileNode, attached: true }),
    pod('prod', hostilePod, { node: hostileNode, claims: ['data-db-0'], owner: { kind: 'StatefulSet', name: 'db' }, deletionTimestamp: ago('19m'), grace: 30, created: ago('72h') }),
    ...boundVolume('search', 'index', 'pvc-3c3c3c3c'),
    volumeAttachment({ pv: 'pvc-3c3c3c3c', node: 'worker-1', attached: false, created: ago('8m'), attachError: { time: ago('30s'), message: attachError } }),
    pod('search', 'index-0', { node: 'worker-1', claims: ['index'], state: 'ContainerCreating', created: ago('8m') }),
    ...boundVolume('shop', 'web-data', 'pvc-1d2c3b4a'),
    node('worker-2', { ready: 'Unknown', since: ago('25m') }), lease('worker-2', ago('25m40s')),
    volumeAttachment({ pv: 'pvc-1d2c3b4a', node: 'worker-2', attached: true }),
    waiting,
    podEvent(waiting, { reason: 'FailedAttachVolume', message: eventMessage, first: ago('15m'), last: ago('15m') }),
  ]);
}

function writeDump(doc: Raw): string {
  const file = join(tmp(), 'dump.json');
  writeFileSync(file, JSON.stringify(doc));
  return file;
}

/** Every string anywhere in a document. */
function strings(doc: unknown): string[] {
  if (typeof doc === 'string') return [doc];
  if (Array.isArray(doc)) return doc.flatMap(strings);
  if (doc && typeof doc === 'object') return Object.values(doc).flatMap(strings);
  return [];
}

function expectTerminalSafe(stdout: string) {
  expect(stdout).not.toMatch(RAW_CONTROL);
  // The one summary line is ours; the hostile one stays inside its field, escaped.
  expect(stdout.split('\n').filter((l) => /^\d+ critical/.test(l))).toHaveLength(1);
  expect(unwrapped(stdout)).toContain('\\x1b[2J\\x1b]0;owned\\x07\\n0 critical, 0 warning, 0 info\\r\\u202etxt.exe\\u2066\\x9b31m\\x7f\\t!');
}

describe('strings from a dump are data, not terminal control', () => {
  const dump = writeDump(hostileDump());

  it.each([['table'], ['wide']])('diagnose -o %s escapes hostile names, event messages and attach errors', (output) => {
    const r = runBinary(['diagnose', '-A', '--from-file', dump, '-o', output]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('');
    expectTerminalSafe(r.stdout);
    // No API server accepts these names: the objects are dropped, and the report says so, escaped.
    expect(unwrapped(r.stdout)).toContain('could not read pods: 1 object dropped');
    expect(unwrapped(r.stdout)).toContain('metadata.name "db-0\\u001b[2J');
    if (output === 'wide') {
      expect(unwrapped(r.stdout)).toContain('rpc error: code = Internal desc = \\x1b[2J');
      expect(unwrapped(r.stdout)).toContain('Multi-Attach error for volume "pvc-1d2c3b4a" \\x1b[2J');
    }
  });

  it('diagnose -o json and -o yaml keep the exact strings, with nothing raw for the terminal', () => {
    const r = runBinary(['diagnose', '-A', '--from-file', dump, '-o', 'json']);
    expect(r.stdout).not.toMatch(RAW_CONTROL);
    const doc = JSON.parse(r.stdout);
    const all = strings(doc);
    expect(doc.incomplete.map((i: { resource: string }) => i.resource)).toEqual(expect.arrayContaining(['nodes', 'pods', 'leases', 'volumeattachments']));
    expect(all.some((s) => s.includes(attachError))).toBe(true);
    expect(all.some((s) => s.includes(eventMessage))).toBe(true);
    expect(all.some((s) => s.includes(`kubectl taint node worker-3`))).toBe(false);

    const y = runBinary(['diagnose', '-A', '--from-file', dump, '-o', 'yaml']);
    expect(y.stdout).not.toMatch(RAW_CONTROL);
    expect(yaml.load(y.stdout, { schema: yaml.CORE_SCHEMA })).toEqual(doc);
  });

  it('fix --dry-run plans nothing for objects with names no server accepts, escapes its warnings, and keeps JSON and YAML exact', () => {
    const r = runBinary(['fix', '-A', '--from-file', dump, '--dry-run']);
    expect(r.code).toBe(3);
    expect(r.stdout + r.stderr).not.toMatch(RAW_CONTROL);
    expect(r.stderr).toContain('warning: could not read nodes: 1 object dropped');
    expect(r.stderr).toContain('metadata.name "worker-3\\u001b[2J');
    const plan = JSON.parse(runBinary(['fix', '-A', '--from-file', dump, '--dry-run', '-o', 'json']).stdout);
    expect(plan.actions.some((a: { target: { name: string } }) => a.target.name === hostileNode)).toBe(false);
    expect(strings(plan).some((s) => s.includes('kubectl taint node worker-3'))).toBe(false);
    const y = runBinary(['fix', '-A', '--from-file', dump, '--dry-run', '-o', 'yaml']);
    expect(y.stdout).not.toMatch(RAW_CONTROL);
    expect(yaml.load(y.stdout, { schema: yaml.CORE_SCHEMA })).toEqual(plan);
  });

  it('an error line shows a hostile argument escaped, on one line', () => {
    const r = runBinary(['diagnose', `pod/${hostilePod}`, '-n', 'prod', '--from-file', dump]);
    expect(r.code).toBe(2);
    expect(r.stderr).not.toMatch(RAW_CONTROL);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain('invalid Pod name "db-0\\x1b[2J');
  });
});

describe('API server answers are data, not terminal control', () => {
  it('a Status message from the server is escaped where the table reports what could not be read', async () => {
    server = await startMisbehavingServer({}, (req) => (req.path.endsWith('/pods') ? status(500, 'InternalError', `etcd is sad ${HOSTILE}`) : undefined));
    const r = await runBinaryAsync(['diagnose', '-A', '--kubeconfig', server.kubeconfig]);
    expect(r.code).toBe(3);
    expect(r.stdout + r.stderr).not.toMatch(RAW_CONTROL);
    expect(r.stdout + r.stderr).toContain('etcd is sad \\x1b[2J');
    expect(server.writes()).toEqual([]);
  });
});

describe('long strings are bounded before layout', () => {
  // The longest name Kubernetes accepts; longer ones never reach a renderer (the readers drop them).
  const long = `n${'x'.repeat(251)}n`;
  const tooLong = `n${'x'.repeat(4998)}n`;
  const message = `rpc error: ${'y'.repeat(5000)}`;
  const dump = writeDump(asList([
    node(long, { ready: 'Unknown', since: ago('25m') }), lease(long, ago('25m40s')),
    node(tooLong, { ready: 'Unknown', since: ago('25m') }),
    ...boundVolume('prod', 'data-db-0', 'pvc-9f8e7d6c'),
    volumeAttachment({ pv: 'pvc-9f8e7d6c', node: long, attached: true }),
    pod('prod', 'db-0', { node: long, claims: ['data-db-0'], owner: { kind: 'StatefulSet', name: 'db' }, deletionTimestamp: ago('19m'), grace: 30, created: ago('72h') }),
    ...boundVolume('search', 'index', 'pvc-3c3c3c3c'),
    volumeAttachment({ pv: 'pvc-3c3c3c3c', node: 'worker-1', attached: false, created: ago('8m'), attachError: { time: ago('30s'), message } }),
    node('worker-1'), lease('worker-1', ago('5s')),
    pod('search', 'index-0', { node: 'worker-1', claims: ['index'], state: 'ContainerCreating', created: ago('8m') }),
  ]));

  it('fix renders a plan for a 253-character node name quickly, drops a 5,000-character one with a bounded reason; -o json has the whole name', async () => {
    const r = await runBinaryAsync(['fix', '-A', '--from-file', dump, '--dry-run'], {}, { timeoutMs: 5_000 });
    expect(r.timedOut).toBe(false);
    expect(r.code).toBe(3);
    expect(r.stdout).toContain('taint-out-of-service');
    expect(r.stderr).toContain('is not a valid Kubernetes name');
    expect(r.stdout + r.stderr).not.toContain('x'.repeat(300));
    expect(r.stdout.length).toBeLessThan(40_000);
    const plan = JSON.parse((await runBinaryAsync(['fix', '-A', '--from-file', dump, '--dry-run', '-o', 'json'])).stdout);
    expect(plan.actions.map((a: { target: { name: string } }) => a.target.name)).toContain(long);
  });

  it('diagnose -o wide bounds each field of a 5,000-character name or message; -o json has them whole', async () => {
    const r = await runBinaryAsync(['diagnose', '-A', '--from-file', dump, '-o', 'wide'], {}, { timeoutMs: 5_000 });
    expect(r.timedOut).toBe(false);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('more characters, see -o json');
    expect(r.stdout).not.toContain('x'.repeat(2100));
    expect(r.stdout).not.toContain('y'.repeat(2100));
    const doc = JSON.parse((await runBinaryAsync(['diagnose', '-A', '--from-file', dump, '-o', 'json'])).stdout);
    expect(strings(doc).some((s) => s.includes(long))).toBe(true);
    expect(strings(doc).some((s) => s.includes(message))).toBe(true);
  });

  // Before cells were bounded, such a version kept the table renderer busy for minutes; the bound is generous so a
  // busy machine does not fail it.
  it('fix against a server whose gitVersion is 5,000 characters long renders without hanging', async () => {
    const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    const [pv, claim] = boundVolume('prod', 'data-db-0', 'pvc-9f8e7d6c');
    const objects = {
      '/api/v1/nodes': [node('worker-3', { ready: 'Unknown', since: ago('25m', now) })],
      '/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases': [lease('worker-3', ago('25m40s', now))],
      '/api/v1/persistentvolumes': [pv],
      '/api/v1/namespaces/prod/persistentvolumeclaims': [claim],
      '/apis/storage.k8s.io/v1/volumeattachments': [volumeAttachment({ pv: 'pvc-9f8e7d6c', node: 'worker-3', attached: true })],
    };
    server = await startMisbehavingServer(objects, (req) => (req.path === '/version' ? { body: { major: '1', minor: '33', gitVersion: `v1.33.${'9'.repeat(5000)}` } } : undefined));
    const r = await runBinaryAsync(['fix', 'node/worker-3', '--kubeconfig', server.kubeconfig, '--dry-run'], {}, { timeoutMs: 20_000 });
    expect(r.timedOut).toBe(false);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(unwrapped(r.stdout)).toContain('server-supports-out-of-service: server v1.33.999');
    expect(unwrapped(r.stdout)).toContain('more characters, see -o json');
    expect(r.stdout).not.toContain('9'.repeat(2100));
    expect(server.writes()).toEqual([]);
  });
});

describe('flags read as kubectl reads them', () => {
  const dump = writeDump(hostileDump());
  const namespaces = (args: string[]) => {
    const r = runBinary(['diagnose', '--from-file', dump, '-o', 'json', ...args]);
    const findings: { subject: { namespace?: string }; related: { namespace?: string }[] }[] = JSON.parse(r.stdout || '{"findings":[]}').findings;
    return { r, ns: new Set(findings.flatMap((f) => [f.subject, ...f.related].map((o) => o.namespace).filter(Boolean))) };
  };

  it.each([[['-n=search']], [['-nsearch']], [['--namespace=search']], [['-n', 'search']]])('%j is the namespace search', (args) => {
    const { r, ns } = namespaces(args);
    expect(r.stderr).toBe('');
    expect([...ns]).toEqual(['search']);
  });

  it('-o=json is the json output, and -A may be bundled with it', () => {
    for (const args of [['-o=json', '-A'], ['-Ao=json'], ['-Aojson']]) {
      const r = runBinary(['diagnose', '--from-file', dump, ...args]);
      expect(r.stderr, args.join(' ')).toBe('');
      expect(JSON.parse(r.stdout).kind).toBe('Diagnosis');
    }
  });

  it('the value of a flag that looks like a short flag is left alone', () => {
    const r = runBinary(['diagnose', '--from-file', '-n=x']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--from-file -n=x: no such file or directory');
  });

  it.each([
    ['-n =shop', ['-n', '=shop'], 'error: invalid namespace "=shop": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or \'-\', and must start and end with an alphanumeric character'],
    ['--namespace==shop', ['--namespace==shop'], 'error: invalid namespace "=shop"'],
    ['-n Shop', ['-n', 'Shop'], 'error: invalid namespace "Shop"'],
    ['-n <64 characters>', ['-n', 'a'.repeat(64)], 'must be no more than 63 characters'],
    ['pod/a/b', ['pod/a/b'], 'error: "pod/a/b": arguments in resource/name form may not have more than one slash'],
    ['pod a/b', ['pod', 'a/b'], 'error: there is no need to specify a resource type as a separate argument when passing arguments in resource/name form'],
    ['pvc/Data_1', ['pvc/Data_1'], 'error: invalid PersistentVolumeClaim name "Data_1": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, \'-\' or \'.\''],
    ['node/<254 characters>', [`node/${'a'.repeat(254)}`], 'must be no more than 253 characters'],
    ['volumeattachment/-csi', ['volumeattachment/-csi'], 'error: invalid VolumeAttachment name "-csi"'],
  ])('%s exits 2 with one line', (_label, args, message) => {
    const r = runBinary(['diagnose', '--from-file', dump, ...args]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(message);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('accepts names Kubernetes accepts', () => {
    const r = runBinary(['diagnose', '--from-file', dump, 'pv/pvc-9f8e7d6c', '-o', 'json']);
    expect(r.stderr).toBe('');
    const d = runBinary(['diagnose', '--from-file', dump, 'node/worker-1.example.com', '-n', 'a'.repeat(63), '-o', 'json']);
    expect(d.stderr).not.toContain('invalid');
  });

  it.each([[['diagnose', '--bogus']], [['diagnose', '-o']], [['fix', '--only']], [['nope']], [['explain', 'a', 'b']]])('commander rejects %j with exit 2 and no stack', (args) => {
    const r = runBinary(args);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error: /);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});

describe('no stack traces', () => {
  it('an error escaping main ends the process with one line and exit 3; the stack only with VOLUME_DOCTOR_DEBUG=1', () => {
    const script = (kind: string) => `import { installProcessHandlers } from './dist/src/cli/main.js';
installProcessHandlers();
${kind === 'throw' ? "setTimeout(() => { throw new TypeError('boom \\x1b[2J'); });" : "Promise.reject(new RangeError('late'));"}
setTimeout(() => process.stdout.write('still running\\n'), 2000);`;
    for (const [kind, message] of [['throw', 'error: unexpected failure: boom \\x1b[2J'], ['reject', 'error: unexpected failure: late']]) {
      const r = spawnSync(process.execPath, ['--input-type=module', '-e', script(kind)], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, VOLUME_DOCTOR_DEBUG: '' } });
      expect(r.status, kind).toBe(3);
      expect(r.stdout).toBe('');
      expect(r.stderr).toBe(`${message}\n`);
      const debug = spawnSync(process.execPath, ['--input-type=module', '-e', script(kind)], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, VOLUME_DOCTOR_DEBUG: '1' } });
      expect(debug.status).toBe(3);
      expect(debug.stderr).toMatch(/\n\s+at /);
    }
  });
});

describe('--confirm-node-down names a node', () => {
  it('refuses a value no node could be named, exit 2, one line', () => {
    const r = runBinary(['fix', '--from-file', `${ROOT}examples/stuck-cluster.json`, '--dry-run', '--confirm-node-down', 'Worker 2;']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toMatch(/^error: invalid --confirm-node-down "Worker 2;": a lowercase RFC 1123 subdomain must consist of/);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });
});
