// What fix does with an object that changed between its plan and its write. A node changes all the time (status,
// heartbeats, the node lifecycle controller's taints): its guards are judged again on the re-read and the write is
// conditional on that read, so only another object of the same name stops it. A pod or attachment must be exactly
// as planned.
import { afterEach, describe, expect, it } from 'vitest';
import { readCluster } from '../../src/cluster/live-reader.js';
import { diagnoseSnapshot } from '../../src/engine.js';
import { plan } from '../../src/remedy/plan.js';
import { applyPlan } from '../../src/remedy/apply.js';
import type { PlanOptions } from '../../src/remedy/types.js';
import { MisbehavingServer, status } from '../support/misbehaving-server.js';
import { clientOf, serveObjects } from '../support/field-selecting-server.js';
import { ago, lease, node, type Raw } from '../fixtures/builders.js';
import { story2 } from '../fixtures/stories.js';

let server: MisbehavingServer | undefined;
afterEach(async () => { await server?.close(); server = undefined; });

const options: PlanOptions = { confirmNodeDown: ['worker-3'], nodeDownForMs: 5 * 60_000 };

/** Story 2 (a StatefulSet pod stuck Terminating on down worker-3), planned; `change` then edits the served objects. */
async function plannedThenChanged(minor: number, change: (objects: { node3: Raw; pod: Raw }) => void) {
  const node3 = node('worker-3', { ready: 'Unknown', since: ago('25m') });
  const objects = [node('worker-1'), node3, lease('worker-3', ago('25m')), ...story2()];
  server = await serveObjects(objects, (req) => {
    if (req.path === '/version') return { body: { major: '1', minor: String(minor), gitVersion: `v1.${minor}.4` } };
    if (req.path.includes('/proxy/')) return status(503, 'ServiceUnavailable', 'error trying to reach service: dial tcp 10.0.0.3:10250: i/o timeout');
    return undefined;
  });
  const client = await clientOf(server);
  const snapshot = await readCluster(client, { now: new Date().toISOString() });
  const { graph, findings } = diagnoseSnapshot(snapshot);
  const planned = plan(findings, graph, options, false);
  expect(planned.actions.length).toBeGreaterThan(0);
  expect(planned.actions.every((a) => a.status === 'planned')).toBe(true);
  change({ node3, pod: objects.find((o) => o.kind === 'Pod' && o.spec?.nodeName === 'worker-3')! });
  const result = await applyPlan(planned, { client, options, graph, findings, serverDryRun: false, yes: true, timeoutMs: 50, pollMs: 10, scope: {}, log: () => undefined });
  return { result, node3, writes: server.writes().filter((w) => !w.path.endsWith('/events')) };
}

describe('an object changed between plan and write', () => {
  it('a node at a new resourceVersion (a heartbeat, a label) is still tainted, conditional on the node as re-read', async () => {
    const { result, node3, writes } = await plannedThenChanged(33, ({ node3: n }) => { n.metadata.resourceVersion = '9001'; n.metadata.labels = { ...n.metadata.labels, touched: 'yes' }; });
    // Written, then waited for (the stub never clears the finding): not aborted.
    expect(result.actions.map((a) => a.status)).toEqual(['unresolved']);
    expect(writes.map((w) => `${w.method} ${w.path}`)).toEqual(['PATCH /api/v1/nodes/worker-3']);
    expect(JSON.parse(writes[0].body)).toEqual(expect.arrayContaining([
      { op: 'test', path: '/metadata/resourceVersion', value: '9001' },
      { op: 'test', path: '/metadata/uid', value: node3.metadata.uid },
    ]));
  });

  it('another node of the same name (a new uid) is not written', async () => {
    const { result, writes } = await plannedThenChanged(33, ({ node3 }) => { node3.metadata.uid = 'a-new-node-object'; });
    expect(result.actions[0]).toMatchObject({ status: 'aborted', message: expect.stringContaining('changed since the plan (it is another object now') });
    expect(writes).toEqual([]);
  });

  it('a pod at a new resourceVersion is not force-deleted (server 1.25, no out-of-service taint)', async () => {
    const { result, writes } = await plannedThenChanged(25, ({ pod }) => { pod.metadata.resourceVersion = '9002'; });
    const deletePod = result.actions.find((a) => a.type === 'force-delete-pod')!;
    expect(deletePod).toMatchObject({ status: 'aborted', message: expect.stringContaining('changed since the plan (resourceVersion') });
    expect(writes.filter((w) => w.path.includes('/pods/'))).toEqual([]);
  });
});
