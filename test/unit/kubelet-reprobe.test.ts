// fix asks the kubelet again just before each write: a kubelet that was silent when the plan was made and answers
// by the time of the write proves the machine runs, so the action is aborted and nothing is written. The API server
// is the field-selecting stub: a real one cannot be made to switch a node's proxy answer between two requests.
import { afterEach, describe, expect, it } from 'vitest';
import { readCluster } from '../../src/cluster/live-reader.js';
import { readKubeletViews } from '../../src/cluster/kubelet-reader.js';
import { diagnoseSnapshot, nodesToAskKubelets } from '../../src/engine.js';
import { plan } from '../../src/remedy/plan.js';
import { applyPlan } from '../../src/remedy/apply.js';
import type { ActionType, PlanOptions } from '../../src/remedy/types.js';
import { MisbehavingServer, status } from '../support/misbehaving-server.js';
import { clientOf, serveObjects } from '../support/field-selecting-server.js';
import { ago, lease, node } from '../fixtures/builders.js';
import { story2 } from '../fixtures/stories.js';

let server: MisbehavingServer | undefined;
afterEach(async () => { await server?.close(); server = undefined; });

const HEALTHZ = '/api/v1/nodes/worker-3/proxy/healthz';
const options: PlanOptions = { confirmNodeDown: ['worker-3'], nodeDownForMs: 5 * 60_000 };

/** Story 2 (a StatefulSet pod stuck Terminating on down worker-3) on a server of this minor version. */
async function story2Served(minor: number, answering: () => boolean) {
  const objects = [node('worker-1'), node('worker-3', { ready: 'Unknown', since: ago('25m') }), lease('worker-3', ago('25m')), ...story2()];
  server = await serveObjects(objects, (req) => {
    if (req.path === '/version') return { body: { major: '1', minor: String(minor), gitVersion: `v1.${minor}.4` } };
    if (req.path === HEALTHZ) {
      return answering() ? { body: 'ok', headers: { 'Content-Type': 'text/plain' } } : status(503, 'ServiceUnavailable', 'error trying to reach service: dial tcp 10.0.0.3:10250: i/o timeout');
    }
    return undefined;
  });
  return clientOf(server);
}

describe('the kubelet is asked again just before each write', () => {
  for (const { minor, types } of [
    { minor: 33, types: ['taint-out-of-service'] },
    { minor: 25, types: ['delete-volumeattachment', 'force-delete-pod'] },
  ] as { minor: number; types: ActionType[] }[]) {
    it(`silent at plan time, answering at write time: ${types.join(' and ')} aborted, nothing written (server 1.${minor})`, async () => {
      let answering = false;
      const client = await story2Served(minor, () => answering);
      // As fix reads it: the cluster, then the kubelets the findings point at.
      const snapshot = await readCluster(client, { now: new Date().toISOString() });
      await readKubeletViews(client, snapshot, nodesToAskKubelets(snapshot));
      const { graph, findings } = diagnoseSnapshot(snapshot);
      const planned = plan(findings, graph, options, false);
      expect(planned.actions.map((a) => a.type).sort()).toEqual(types);
      expect(planned.actions.every((a) => a.status === 'planned')).toBe(true);
      const probesAtPlan = server!.requests.filter((r) => r.path === HEALTHZ).length;

      answering = true;
      const result = await applyPlan(planned, { client, options, graph, findings, serverDryRun: false, yes: true, timeoutMs: 1000, scope: {}, log: () => undefined });
      for (const a of result.actions) {
        expect(a.status).toBe('aborted');
        expect(a.message).toContain('the kubelet on worker-3 answered through the API server');
        expect(a.guards.find((g) => g.name === 'kubelet-not-answering')?.ok).toBe(false);
      }
      // Once per action, after the plan; and no write of any kind (no Event either).
      expect(server!.requests.filter((r) => r.path === HEALTHZ).length - probesAtPlan).toBe(types.length);
      expect(server!.writes()).toEqual([]);
    });
  }
});
