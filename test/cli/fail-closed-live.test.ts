// Fail closed against a live API server that answers in ways we cannot understand: what was not read is
// unknown, never absent, so nothing destructive is planned or written and the run says it is incomplete.
import { spawn } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { startMisbehavingServer, status, notFound, MisbehavingServer, Override, Reply } from '../support/misbehaving-server.js';
import { BIN, ROOT, runBinaryAsync, unwrapped } from './run-binary.js';
import { ago, boundVolume, lease, node, pod, volumeAttachment, Raw } from '../fixtures/builders.js';

let server: MisbehavingServer | undefined;
afterEach(async () => { await server?.close(); server = undefined; });

const NODES = '/api/v1/nodes';
const VAS = '/apis/storage.k8s.io/v1/volumeattachments';
// Whole seconds, as the API server writes timestamps (the builders append the Lease's microseconds).
const realNow = () => new Date(Math.floor(Date.now() / 1000) * 1000).toISOString().replace('.000Z', 'Z');

/** A Ready node holding an attachment that no pod uses: if worker-2 looked deleted, fix would delete it. */
function readyNodeWithAttachment(): Record<string, Raw[]> {
  const va = volumeAttachment({ pv: 'pv-a', node: 'worker-2' });
  const [pv, pvc] = boundVolume('shop', 'data', 'pv-a');
  return {
    [NODES]: [node('worker-1'), node('worker-2')],
    [VAS]: [va],
    '/api/v1/persistentvolumes': [pv],
    '/api/v1/namespaces/shop/persistentvolumeclaims': [pvc],
    '/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases': [lease('worker-2', ago('5s', realNow()))],
  };
}

const vaNameOf = (objects: Record<string, Raw[]>) => objects[VAS][0].metadata.name as string;

/** Breaks node reads: the LIST answers `items`, a GET of one node answers `one`. */
function breakNodes(items: unknown[] | undefined, one: Reply | undefined): Override {
  return (req) => {
    if (req.method !== 'GET') return undefined;
    if (req.path === NODES && items) return { body: { kind: 'NodeList', apiVersion: 'v1', metadata: { resourceVersion: '1' }, items } };
    if (req.path.startsWith(`${NODES}/`) && one) return one;
    return undefined;
  };
}

const nameless = () => {
  const n = node('worker-2');
  delete n.metadata.name;
  return n;
};
const badConditions = () => {
  const n = node('worker-2');
  n.status.conditions = 'x';
  return n;
};

const noStack = (text: string) => {
  expect(text).not.toMatch(/\n\s+at /);
  expect(text).not.toContain('unexpected failure');
};

const BROKEN_NODE_READS: { name: string; items: unknown[]; one: Reply; reason: RegExp }[] = [
  { name: 'nodes without metadata.name', items: [node('worker-1'), nameless()], one: { body: nameless() }, reason: /node dropped: metadata\.name missing/ },
  { name: 'items: [null]', items: [node('worker-1'), null], one: { body: 'null' }, reason: /node dropped: a Node that is not an object/ },
  { name: 'status.conditions: "x"', items: [node('worker-1'), badConditions()], one: { body: badConditions() }, reason: /node dropped: status\.conditions is a string, not an array/ },
];

describe('fail closed: node reads the server answers but we cannot understand (item 1)', () => {
  for (const c of BROKEN_NODE_READS) {
    it(`${c.name}: fix -A --yes sends no write and exits 3 naming nodes`, async () => {
      server = await startMisbehavingServer(readyNodeWithAttachment(), breakNodes(c.items, c.one));
      const r = await runBinaryAsync(['fix', '-A', '--yes', '--timeout', '2s', '--kubeconfig', server.kubeconfig]);
      expect(server.writes()).toEqual([]);
      expect(r.code).toBe(3);
      expect(r.stderr).toMatch(/could not read nodes: .*node dropped/);
      expect(r.stderr).toMatch(c.reason);
      noStack(r.stderr);
    });

    it(`${c.name}: a targeted fix of the attachment sends no write`, async () => {
      const objects = readyNodeWithAttachment();
      server = await startMisbehavingServer(objects, breakNodes(c.items, c.one));
      const r = await runBinaryAsync(['fix', `volumeattachment/${vaNameOf(objects)}`, '--yes', '--timeout', '2s', '--confirm-node-down', 'worker-2', '--kubeconfig', server.kubeconfig]);
      expect(server.writes()).toEqual([]);
      expect(r.code).toBe(3);
      expect(r.stderr).toContain('could not read nodes');
      noStack(r.stderr);
    });

    it(`${c.name}: diagnose exits 3 and names the incomplete resource`, async () => {
      server = await startMisbehavingServer(readyNodeWithAttachment(), breakNodes(c.items, c.one));
      const r = await runBinaryAsync(['diagnose', '-A', '--kubeconfig', server.kubeconfig]);
      expect(r.code).toBe(3);
      expect(unwrapped(r.stdout)).toMatch(/could not read nodes: .*node dropped/);
      expect(unwrapped(r.stdout)).toMatch(c.reason);
      expect(unwrapped(r.stdout)).not.toContain('No stuck volumes found.');
      expect(unwrapped(r.stdout)).not.toContain('deleted node');
      noStack(r.stderr);
    });
  }

  it('diagnose -o json lists the incomplete resource with the count and first reason', async () => {
    server = await startMisbehavingServer(readyNodeWithAttachment(), breakNodes([nameless(), nameless(), node('worker-1')], undefined));
    const r = await runBinaryAsync(['diagnose', '-A', '-o', 'json', '--kubeconfig', server.kubeconfig]);
    expect(r.code).toBe(3);
    const doc = JSON.parse(r.stdout);
    expect(doc.incomplete).toEqual([expect.objectContaining({ resource: 'nodes', reason: expect.stringMatching(/^2 nodes dropped: metadata\.name missing/) })]);
    expect(doc.findings).toEqual([]);
  });

  it('a forbidden node GET in a targeted run is unknown, not deleted', async () => {
    const objects = readyNodeWithAttachment();
    server = await startMisbehavingServer(objects, breakNodes(undefined, status(403, 'Forbidden', 'nodes "worker-2" is forbidden')));
    const r = await runBinaryAsync(['fix', `volumeattachment/${vaNameOf(objects)}`, '--yes', '--timeout', '2s', '--kubeconfig', server.kubeconfig]);
    expect(server.writes()).toEqual([]);
    expect(r.stderr).toContain('could not read nodes: forbidden');
    noStack(r.stderr);
  });
});

describe('fail closed: a missing or unreadable target (item 10)', () => {
  it('a pod that does not exist while the attachment LIST fails: exit 2 "not found", no stack', async () => {
    server = await startMisbehavingServer({}, (req) => {
      if (req.path === VAS) throw new Error('drop the connection');
      return undefined;
    });
    const r = await runBinaryAsync(['diagnose', 'pod/ghost', '-n', 'shop', '--kubeconfig', server.kubeconfig]);
    expect(r.stderr.trim()).toBe('error: pods "ghost" not found in namespace "shop"');
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
  });

  it('a pod that exists while the attachment LIST fails: exit 3 naming the server, no stack', async () => {
    // It waits for a CSI volume not attached on its node, so every attachment is listed to find where it is.
    const [pv, pvc] = boundVolume('shop', 'data', 'pv-a');
    server = await startMisbehavingServer({
      '/api/v1/namespaces/shop/pods': [pod('shop', 'web-0', { node: 'worker-1', claims: ['data'], state: 'ContainerCreating' })],
      '/api/v1/namespaces/shop/persistentvolumeclaims': [pvc],
      '/api/v1/persistentvolumes': [pv],
    }, (req) => {
      if (req.path === VAS) throw new Error('drop the connection');
      return undefined;
    });
    const r = await runBinaryAsync(['diagnose', 'pod/web-0', '-n', 'shop', '--kubeconfig', server.kubeconfig]);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('cannot reach the Kubernetes API server');
    noStack(r.stderr);
  });

  it('a forbidden target is "cannot read" (exit 3), never "not found"', async () => {
    server = await startMisbehavingServer({}, (req) => (req.path === '/api/v1/namespaces/shop/pods/web-0' ? status(403, 'Forbidden', 'pods "web-0" is forbidden') : undefined));
    const r = await runBinaryAsync(['diagnose', 'pod/web-0', '-n', 'shop', '--kubeconfig', server.kubeconfig]);
    expect(r.code).toBe(3);
    expect(r.stderr.trim()).toBe('error: cannot read pods "web-0" in namespace "shop": forbidden: pods "web-0" is forbidden');
  });

  it('a malformed target is "cannot read" (exit 3), never "not found"', async () => {
    server = await startMisbehavingServer({}, (req) => (req.path === '/api/v1/nodes/worker-2' ? { body: nameless() } : undefined));
    const r = await runBinaryAsync(['diagnose', 'node/worker-2', '--kubeconfig', server.kubeconfig]);
    expect(r.code).toBe(3);
    expect(r.stderr.trim()).toBe('error: cannot read nodes "worker-2": malformed: metadata.name missing');
  });
});

describe('fail closed: a VolumeAttachment without spec.nodeName (item 20)', () => {
  it('is reported as dropped, never as attached to a deleted node', async () => {
    const objects = readyNodeWithAttachment();
    const broken = volumeAttachment({ pv: 'pv-a', node: 'worker-9' });
    delete broken.spec.nodeName;
    objects[VAS] = [broken];
    server = await startMisbehavingServer(objects);
    const d = await runBinaryAsync(['diagnose', '-A', '--kubeconfig', server.kubeconfig]);
    expect(d.code).toBe(3);
    expect(unwrapped(d.stdout)).toContain('could not read volumeattachments: 1 volumeattachment dropped: spec.nodeName missing');
    expect(unwrapped(d.stdout)).not.toContain("node ''");
    expect(unwrapped(d.stdout)).not.toContain('deleted node');
    const f = await runBinaryAsync(['fix', '-A', '--yes', '--timeout', '2s', '--kubeconfig', server.kubeconfig]);
    expect(f.code).toBe(3);
    expect(server.writes()).toEqual([]);
  });
});

/** A Ready node that still carries the out-of-service taint, Ready long enough for fix to plan removing it. */
function taintedReadyNode(readyFor = '30m'): Record<string, Raw[]> {
  const taint = { key: 'node.kubernetes.io/out-of-service', value: 'nodeshutdown', effect: 'NoExecute', timeAdded: ago('2h', realNow()) };
  return { [NODES]: [node('worker-4', { since: ago(readyFor, realNow()), taints: [taint] })] };
}

describe('fail closed: the re-read just before a write (item 6)', () => {
  it('a malformed node on re-read aborts the action; nothing written', async () => {
    server = await startMisbehavingServer(taintedReadyNode(), breakNodes(undefined, { body: nameless() }));
    const r = await runBinaryAsync(['fix', '-A', '--yes', '--timeout', '2s', '--kubeconfig', server.kubeconfig]);
    expect(server.writes()).toEqual([]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('aborted: remove-out-of-service-taint node/worker-4 — aborted: could not re-read node/worker-4 before writing');
    expect(r.stderr).toContain('nothing written');
    noStack(r.stderr);
  });

  it('a node gone on re-read (404) aborts the action as gone; nothing written', async () => {
    server = await startMisbehavingServer(taintedReadyNode(), breakNodes(undefined, notFound('nodes', 'worker-4')));
    const r = await runBinaryAsync(['fix', '-A', '--yes', '--timeout', '2s', '--kubeconfig', server.kubeconfig]);
    expect(server.writes()).toEqual([]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('node/worker-4 no longer exists');
  });
});

describe('fail closed: a write whose answer never arrives', () => {
  it('is reported failed and possibly applied, exit 1, no stack', async () => {
    server = await startMisbehavingServer(taintedReadyNode(), (req) => {
      if (req.method === 'PATCH') throw new Error('drop the connection');
      return undefined;
    });
    const r = await runBinaryAsync(['fix', '-A', '--yes', '--timeout', '2s', '--kubeconfig', server.kubeconfig]);
    expect(server.writes().map((w) => w.method)).toEqual(['PATCH']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('failed: remove-out-of-service-taint node/worker-4 — failed: cannot reach the Kubernetes API server');
    expect(r.stderr).toContain('the write may or may not have been applied: check node/worker-4');
    noStack(r.stderr);
  });
});

describe('diagnose and fix agree on when a Ready node loses its out-of-service taint (item 22)', () => {
  it('just back: diagnose says from when; fix refuses with the same moment; at 5m both accept', async () => {
    const since = new Date(Date.now() - 60_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
    const at = new Date(Date.parse(since) + 5 * 60_000).toISOString().replace(/\.000Z$/, 'Z');
    const taint = { key: 'node.kubernetes.io/out-of-service', value: 'nodeshutdown', effect: 'NoExecute', timeAdded: since };
    server = await startMisbehavingServer({ [NODES]: [node('worker-4', { since, taints: [taint] })] });
    const d = await runBinaryAsync(['diagnose', '-A', '--kubeconfig', server.kubeconfig]);
    expect(unwrapped(d.stdout)).toContain(`fix can remove it from ${at}`);
    const f = await runBinaryAsync(['fix', 'node/worker-4', '--dry-run', '--kubeconfig', server.kubeconfig]);
    expect(unwrapped(f.stdout)).toContain(`less than --node-ready-for 5m (fix accepts it from ${at})`);
    // Judged at the announced moment, both agree that it is time.
    const later = await runBinaryAsync(['fix', 'node/worker-4', '--dry-run', '-o', 'json', '--now', at, '--kubeconfig', server.kubeconfig]);
    expect(JSON.parse(later.stdout).actions[0]).toMatchObject({ type: 'remove-out-of-service-taint', status: 'planned' });
    const dLater = await runBinaryAsync(['diagnose', '-A', '-o', 'json', '--now', at, '--kubeconfig', server.kubeconfig]);
    expect(JSON.parse(dLater.stdout).findings[0].remedies[0]).toMatch(/^Remove the taint: /);
    expect(server.writes()).toEqual([]);
  });

  it('--node-ready-for changes what fix accepts', async () => {
    server = await startMisbehavingServer(taintedReadyNode('2m'));
    const strict = await runBinaryAsync(['fix', 'node/worker-4', '--dry-run', '-o', 'json', '--kubeconfig', server.kubeconfig]);
    expect(JSON.parse(strict.stdout).actions[0].status).toBe('refused');
    const loose = await runBinaryAsync(['fix', 'node/worker-4', '--dry-run', '-o', 'json', '--node-ready-for', '1m', '--kubeconfig', server.kubeconfig]);
    expect(JSON.parse(loose.stdout).actions[0].status).toBe('planned');
    const bad = await runBinaryAsync(['fix', 'node/worker-4', '--node-ready-for', 'soon', '--kubeconfig', server.kubeconfig]);
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim()).toBe('error: invalid --node-ready-for "soon": use a duration like 5m');
  });

  it('diagnose takes the same --node-ready-for, so its advice matches what fix will accept', async () => {
    server = await startMisbehavingServer(taintedReadyNode('2m'));
    const strict = JSON.parse((await runBinaryAsync(['diagnose', 'node/worker-4', '-o', 'json', '--kubeconfig', server.kubeconfig])).stdout);
    const waitAdvice = strict.findings.find((f: { check: string }) => f.check === 'out-of-service-taint-left');
    expect(waitAdvice.summary).toMatch(/fix can remove it from /);
    const loose = JSON.parse((await runBinaryAsync(['diagnose', 'node/worker-4', '-o', 'json', '--node-ready-for', '1m', '--kubeconfig', server.kubeconfig])).stdout);
    const removeNow = loose.findings.find((f: { check: string }) => f.check === 'out-of-service-taint-left');
    expect(removeNow.summary).not.toMatch(/fix can remove it from /);
    expect(removeNow.remedies[0]).toMatch(/^Remove the taint: /);
    const bad = await runBinaryAsync(['diagnose', 'node/worker-4', '--node-ready-for', 'soon', '--kubeconfig', server.kubeconfig]);
    expect(bad.code).toBe(2);
  });
});

/** Runs the plugin on a pseudo-terminal (util-linux `script`), typing `keys` once `prompt` shows. */
function atTerminal(args: string[], prompt: RegExp, keys: string): Promise<{ code: number; output: string }> {
  const command = [process.execPath, BIN, ...args].map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(' ');
  const child = spawn('script', ['-qec', command, '/dev/null'], { cwd: ROOT, env: { ...process.env, NO_COLOR: '1' } });
  let output = '';
  let typed = false;
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (!typed && prompt.test(output)) {
        typed = true;
        child.stdin.write(keys);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('error', reject);
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('close', (code) => { clearTimeout(timer); resolve({ code: code ?? -1, output }); });
  });
}

describe('Ctrl+C and Ctrl+D at the fix prompt (item 14)', () => {
  for (const [name, key] of [['Ctrl+C', '\x03'], ['Ctrl+D', '\x04']] as const) {
    it(`${name} declines: exit 1, nothing written, no stack`, async () => {
      server = await startMisbehavingServer(taintedReadyNode());
      const r = await atTerminal(['fix', 'node/worker-4', '--kubeconfig', server.kubeconfig], /Apply\? \[y\/N\]/, key);
      expect(r.output).toContain('declined: remove-out-of-service-taint node/worker-4 — declined: the prompt was closed (Ctrl+C or Ctrl+D); nothing written');
      expect(r.output).not.toContain('AbortError');
      noStack(r.output);
      expect(r.code).toBe(1);
      expect(server.writes()).toEqual([]);
    });
  }
});

describe('needs the kube-client change (empty or item-less 2xx answers throw UnreadableAnswerError)', () => {
  const empty: Reply = { status: 200, body: '' };

  it('nodes LIST with an empty body: fix -A --yes sends no write; diagnose exits 3 naming nodes', async () => {
    server = await startMisbehavingServer(readyNodeWithAttachment(), (req) => (req.method === 'GET' && req.path === NODES ? empty : undefined));
    const f = await runBinaryAsync(['fix', '-A', '--yes', '--timeout', '2s', '--kubeconfig', server.kubeconfig]);
    expect(server.writes()).toEqual([]);
    expect(f.code).toBe(3);
    expect(f.stderr).toContain('could not read nodes: unreadable answer');
    const d = await runBinaryAsync(['diagnose', '-A', '--kubeconfig', server.kubeconfig]);
    expect(d.code).toBe(3);
    expect(unwrapped(d.stdout)).toContain('could not read nodes: unreadable answer');
    expect(unwrapped(d.stdout)).not.toContain('No stuck volumes found.');
  });

  it('nodes LIST without an items array: fix -A --yes sends no write', async () => {
    server = await startMisbehavingServer(readyNodeWithAttachment(), (req) => (req.method === 'GET' && req.path === NODES ? { body: { kind: 'NodeList', apiVersion: 'v1', metadata: {} } } : undefined));
    const f = await runBinaryAsync(['fix', '-A', '--yes', '--timeout', '2s', '--kubeconfig', server.kubeconfig]);
    expect(server.writes()).toEqual([]);
    expect(f.code).toBe(3);
    expect(f.stderr).toContain('could not read nodes: unreadable answer');
  });

  it('node GET with an empty body in a targeted fix: no write, nodes unreadable', async () => {
    const objects = readyNodeWithAttachment();
    server = await startMisbehavingServer(objects, breakNodes(undefined, empty));
    const r = await runBinaryAsync(['fix', `volumeattachment/${vaNameOf(objects)}`, '--yes', '--timeout', '2s', '--kubeconfig', server.kubeconfig]);
    expect(server.writes()).toEqual([]);
    expect(r.stderr).toContain('could not read nodes: unreadable answer');
    noStack(r.stderr);
  });

  it('a target GET with an empty body is "cannot read" (exit 3), never "not found"', async () => {
    server = await startMisbehavingServer({}, (req) => (req.path === '/api/v1/namespaces/shop/pods/web-0' ? empty : undefined));
    const r = await runBinaryAsync(['diagnose', 'pod/web-0', '-n', 'shop', '--kubeconfig', server.kubeconfig]);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/^error: cannot read pods "web-0" in namespace "shop": unreadable answer/);
  });

  it('an empty body on the re-read before a write aborts the action; nothing written', async () => {
    server = await startMisbehavingServer(taintedReadyNode(), breakNodes(undefined, empty));
    const r = await runBinaryAsync(['fix', '-A', '--yes', '--timeout', '2s', '--kubeconfig', server.kubeconfig]);
    expect(server.writes()).toEqual([]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('could not re-read node/worker-4 before writing');
  });

  it('/version with an empty body makes the run incomplete, not a crash', async () => {
    server = await startMisbehavingServer({ [NODES]: [] }, (req) => (req.path === '/version' ? empty : undefined));
    const r = await runBinaryAsync(['diagnose', '-A', '--kubeconfig', server.kubeconfig]);
    expect(r.code).toBe(3);
    expect(unwrapped(r.stdout)).toContain('could not read version: unreadable answer');
    noStack(r.stderr);
  });
});

describe('fail closed: answers that are well-formed JSON but not what was asked for (review of item 1)', () => {
  /** worker-2 down 30m with a stale Lease and confirmed off, on a 1.25 server (so the fallback deletes are planned),
   * while pod shop/web-0 on it still uses pv-a: deleting the attachment would be wrong. */
  function downNodeWithLivePod(): Record<string, Raw[]> {
    const n = realNow();
    const va = volumeAttachment({ pv: 'pv-a', node: 'worker-2' });
    const [pv, pvc] = boundVolume('shop', 'data', 'pv-a');
    return {
      [NODES]: [node('worker-1'), node('worker-2', { ready: 'Unknown', since: ago('30m', n) })],
      [VAS]: [va],
      '/api/v1/persistentvolumes': [pv],
      '/api/v1/namespaces/shop/persistentvolumeclaims': [pvc],
      '/api/v1/namespaces/shop/pods': [pod('shop', 'web-0', { node: 'worker-2', claims: ['data'] })],
      '/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases': [lease('worker-2', ago('30m', n)), lease('worker-1', ago('5s', n))],
    };
  }
  const v125: Reply = { body: { major: '1', minor: '25', gitVersion: 'v1.25.16' } };
  const PODS: { name: string; reply: Reply }[] = [
    { name: 'a pod list without kind or metadata, items null', reply: { body: { items: null } } },
    { name: 'a Status with an items array', reply: { body: { kind: 'Status', apiVersion: 'v1', status: 'Success', items: [] } } },
    { name: 'an empty page that says items remain but gives no continue token', reply: { body: { kind: 'PodList', apiVersion: 'v1', metadata: { resourceVersion: '1', remainingItemCount: 1 }, items: [] } } },
  ];
  for (const c of PODS) {
    it(`pods LIST answered with ${c.name}: no attachment is deleted under a pod that may use it`, async () => {
      const objects = downNodeWithLivePod();
      server = await startMisbehavingServer(objects, (req) => (req.method !== 'GET' ? undefined : req.path === '/version' ? v125 : /\/pods$/.test(req.path) ? c.reply : undefined));
      for (const target of [['-A'], [`volumeattachment/${vaNameOf(objects)}`]]) {
        const r = await runBinaryAsync(['fix', ...target, '--yes', '--timeout', '2s', '--confirm-node-down', 'worker-2', '--kubeconfig', server.kubeconfig]);
        expect(server.writes().filter((w) => w.method === 'DELETE')).toEqual([]);
        expect([1, 3]).toContain(r.code);
        expect(r.stderr).toMatch(/could not read pods/);
        noStack(r.stderr);
      }
    });
  }

  it('the contrast: when the pods LIST proves no pod uses the volume, the same fix does delete the attachment', async () => {
    const objects = downNodeWithLivePod();
    objects['/api/v1/namespaces/shop/pods'] = [pod('shop', 'other', { node: 'worker-1' })];
    server = await startMisbehavingServer(objects, (req) => (req.path === '/version' ? v125 : undefined));
    await runBinaryAsync(['fix', '-A', '--yes', '--timeout', '2s', '--confirm-node-down', 'worker-2', '--kubeconfig', server.kubeconfig]);
    expect(server.writes().filter((w) => w.method === 'DELETE').map((w) => w.path)).toContain(`${VAS}/${vaNameOf(objects)}`);
  });

  const NODE_GETS: { name: string; reply: Reply }[] = [
    { name: 'another node', reply: { body: node('worker-1') } },
    { name: 'a 404 Status that does not name it (what the server says for a path it does not serve)', reply: { status: 404, body: { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'NotFound', message: 'the server could not find the requested resource', code: 404 } } },
    { name: 'a Pod named like it', reply: { body: pod('default', 'worker-2', {}) } },
  ];
  for (const c of NODE_GETS) {
    it(`a node GET answered with ${c.name} is unknown, not deleted: no write`, async () => {
      const objects = readyNodeWithAttachment();
      server = await startMisbehavingServer(objects, breakNodes(undefined, c.reply));
      const r = await runBinaryAsync(['fix', `volumeattachment/${vaNameOf(objects)}`, '--yes', '--timeout', '2s', '--kubeconfig', server.kubeconfig]);
      expect(server.writes()).toEqual([]);
      expect(r.code).toBe(3);
      expect(r.stdout + r.stderr).not.toMatch(/no longer exists|deleted node/);
      const d = await runBinaryAsync(['diagnose', `volumeattachment/${vaNameOf(objects)}`, '--kubeconfig', server.kubeconfig]);
      expect(unwrapped(d.stdout)).not.toMatch(/deleted node/);
      expect(d.code).toBe(3);
    });
  }

  it('a nodes LIST answered with a PodList is unreadable, not an empty cluster', async () => {
    server = await startMisbehavingServer(readyNodeWithAttachment(), (req) => (req.path === NODES ? { body: { kind: 'PodList', apiVersion: 'v1', metadata: {}, items: [] } } : undefined));
    const r = await runBinaryAsync(['diagnose', '-A', '--kubeconfig', server.kubeconfig]);
    expect(r.code).toBe(3);
    expect(unwrapped(r.stdout)).toMatch(/could not read nodes: .*PodList, not a NodeList/);
    expect(unwrapped(r.stdout)).not.toMatch(/deleted node/);
  });
});
