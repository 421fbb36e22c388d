// What a run could not check without being incomplete (kubelets it could not ask) is said by fix as by diagnose,
// in the table and in the JSON plan, and changes neither the plan nor the exit code.
import { afterEach, describe, expect, it } from 'vitest';
import { MisbehavingServer, status } from '../support/misbehaving-server.js';
import { serveObjects } from '../support/field-selecting-server.js';
import { runBinaryAsync, unwrapped } from './run-binary.js';
import { ago, lease, node } from '../fixtures/builders.js';
import { story2 } from '../fixtures/stories.js';

let server: MisbehavingServer | undefined;
afterEach(async () => { await server?.close(); server = undefined; });

const NO_PROXY = 'the kubelet of worker-3: no permission to get nodes/proxy, so volume-doctor could not ask whether that machine runs';

/** Story 2 (worker-3 down, a StatefulSet pod stuck Terminating on it), served to a user without nodes/proxy. */
async function withoutNodeProxy(): Promise<MisbehavingServer> {
  return serveObjects(
    [node('worker-1'), node('worker-3', { ready: 'Unknown', since: ago('25m') }), lease('worker-3', ago('25m')), ...story2()],
    (req) => (req.path.includes('/proxy/')
      ? status(403, 'Forbidden', 'nodes "worker-3" is forbidden: User "alice" cannot get resource "nodes/proxy" in API group "" at the cluster scope')
      : undefined),
  );
}

describe('fix says what it could not check', () => {
  it('in the table, as diagnose does, with the same exit code', async () => {
    server = await withoutNodeProxy();
    const r = await runBinaryAsync(['fix', '-A', '--dry-run', '--confirm-node-down', 'worker-3', '--kubeconfig', server.kubeconfig]);
    expect(r.code).toBe(0);
    expect(unwrapped(r.stdout)).toContain(`- not checked: ${NO_PROXY}`);
    // Said before the plan, whose action still waits only on what it did before.
    expect(r.stdout.indexOf('- not checked:')).toBeLessThan(r.stdout.indexOf('taint-out-of-service'));
    expect(unwrapped(r.stdout)).toContain('kubelet-not-answering (unknown): could not ask the kubelet on worker-3: no permission to get nodes/proxy');
    const d = await runBinaryAsync(['diagnose', '-A', '--kubeconfig', server.kubeconfig]);
    expect(unwrapped(d.stdout)).toContain(`- not checked: ${NO_PROXY}`);
    expect(server.writes()).toEqual([]);
  });

  it('in the JSON plan, as notChecked after dryRun; absent when everything was checked', async () => {
    server = await withoutNodeProxy();
    const r = await runBinaryAsync(['fix', '-A', '--dry-run', '--confirm-node-down', 'worker-3', '-o', 'json', '--kubeconfig', server.kubeconfig]);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(Object.keys(doc)).toEqual(['apiVersion', 'kind', 'dryRun', 'notChecked', 'actions']);
    expect(doc.notChecked).toEqual([NO_PROXY]);
    expect(doc.actions.map((a: { type: string; status: string }) => `${a.type} ${a.status}`)).toEqual(['taint-out-of-service planned']);
    await server.close();

    server = await serveObjects([node('worker-1')]);
    const clean = JSON.parse((await runBinaryAsync(['fix', '-A', '--dry-run', '-o', 'json', '--kubeconfig', server.kubeconfig])).stdout);
    expect(clean).not.toHaveProperty('notChecked');
  });
});
