import { describe, expect, it } from 'vitest';
import { Graph } from '../../src/graph.js';
import { runChecks } from '../../src/checks/index.js';
import { plan } from '../../src/remedy/plan.js';
import { guardUnknown } from '../../src/remedy/guards.js';
import type { PlanOptions } from '../../src/remedy/types.js';
import type { KubeletFact } from '../../src/model/snapshot.js';
import { judgeProbe, kubeletVolumeMetrics, parsePrometheusText } from '../../src/cluster/kubelet-reader.js';
import { nodesToAskKubelets } from '../../src/engine.js';
import { ago, lease, node, snapshotOf } from '../fixtures/builders.js';
import { story2 } from '../fixtures/stories.js';

const opts = (o: Partial<PlanOptions> = {}): PlanOptions => ({ confirmNodeDown: [], nodeDownForMs: 5 * 60_000, ...o });
const downWorker3 = () => [node('worker-1'), node('worker-3', { ready: 'Unknown', since: ago('25m') }), lease('worker-3', ago('25m'))];

function judged(kubelet?: Omit<KubeletFact, 'node' | 'notes'>) {
  const s = snapshotOf([...downWorker3(), ...story2()]);
  s.source = { type: 'cluster', context: 'test' };
  s.serverVersion = { major: 1, minor: 33, gitVersion: 'v1.33.13' };
  if (kubelet) s.kubelets = [{ node: 'worker-3', notes: [], ...kubelet }];
  const graph = new Graph(s);
  const findings = runChecks(graph);
  return { graph, findings, plan: plan(findings, graph, opts({ confirmNodeDown: ['worker-3'] }), true) };
}

const answered = judgeProbe('worker-3', 200, 'ok');
const silent = judgeProbe('worker-3', 503, JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', message: 'error trying to reach service: dial tcp 10.251.0.13:10250: connect: connection refused', reason: 'ServiceUnavailable', code: 503 }));
const forbidden = judgeProbe('worker-3', 403, JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', message: 'nodes "worker-3" is forbidden: User "alice" cannot get resource "nodes/proxy" in API group "" at the cluster scope', reason: 'Forbidden', details: { name: 'worker-3', kind: 'nodes' }, code: 403 }));

describe('asking the kubelet through the node proxy', () => {
  it('reads what came back: the kubelet itself, the API server failing to reach it, or no permission', () => {
    expect(answered.reach).toBe('answered');
    expect(answered.detail).toContain('kubelet on worker-3 answered through the API server');
    expect(silent.reach).toBe('silent');
    expect(silent.detail).toContain('connection refused');
    expect(forbidden.reach).toBe('unknown');
    expect(forbidden.detail).toContain('no permission to get nodes/proxy');
    // The kubelet's own refusals and failures are plain text: they prove it runs.
    expect(judgeProbe('n', 403, 'Forbidden (user=kube-apiserver-kubelet-client, verb=get, resource=nodes, subresource=proxy)').reach).toBe('answered');
    expect(judgeProbe('n', 500, '[+]ping ok\n[-]syncloop failed: reason withheld\nhealthz check failed').reach).toBe('answered');
    // The API server refusing to proxy (loopback address) or not knowing where to go says nothing about the machine.
    expect(judgeProbe('n', 400, JSON.stringify({ kind: 'Status', message: 'address not allowed', reason: 'BadRequest', code: 400 })).reach).toBe('unknown');
    expect(judgeProbe('n', 500, JSON.stringify({ kind: 'Status', message: 'no preferred addresses found; known addresses: []', code: 500 })).reach).toBe('unknown');
    expect(judgeProbe('n', 502, 'Bad Gateway').reach).toBe('silent');
    // Something else on the way to the node (an egress proxy, a gateway) is no witness either way.
    expect(judgeProbe('n', 403, 'resolve_deny: denied destination').reach).toBe('unknown');
    expect(judgeProbe('n', 500, 'Internal Server Error').reach).toBe('unknown');
    expect(judgeProbe('n', 401, 'Unauthorized\n').reach).toBe('answered');
    // A server in front that does not serve the node proxy is no witness either way.
    expect(judgeProbe('n', 404, '404 page not found').reach).toBe('unknown');
  });

  it('says what a failed probe suggests: a refused connection or a TLS error means something answered at the node\'s address', () => {
    const apiSays = (message: string) => judgeProbe('worker-3', 503, JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', message, reason: 'ServiceUnavailable', code: 503 }));
    const machineOn = /most likely on/;
    const looksOff = /consistent with a machine that is off, but a crashed kubelet looks the same$/;
    const refused = apiSays('error trying to reach service: dial tcp 10.251.0.13:10250: connect: connection refused');
    expect(refused.detail).toMatch(/something at worker-3's address answered the connection and refused it: the machine is most likely on, with its kubelet stopped/);
    const tls = apiSays('error trying to reach service: tls: failed to verify certificate: x509: certificate signed by unknown authority');
    expect(tls.detail).toMatch(/a TLS server answered at worker-3's address/);
    expect(tls.detail).toMatch(machineOn);
    for (const off of ['error trying to reach service: dial tcp 10.251.0.13:10250: i/o timeout', 'error trying to reach service: dial tcp 10.251.0.13:10250: connect: no route to host']) {
      expect(apiSays(off).detail).toMatch(looksOff);
      expect(apiSays(off).detail).not.toMatch(machineOn);
    }
    expect(judgeProbe('n', 502, 'Bad Gateway').detail).toMatch(looksOff);
    expect(refused.detail).not.toMatch(looksOff);
    expect(tls.detail).not.toMatch(looksOff);
    // The outcome is as before: silent, so the plan still waits for the operator's confirmation, and is never refused for it.
    for (const probe of [refused, tls]) {
      expect(probe.reach).toBe('silent');
      const j = judged({ reach: probe.reach, reachDetail: probe.detail });
      const unconfirmed = plan(j.findings, j.graph, opts(), true).actions[0];
      expect(unconfirmed).toMatchObject({ type: 'taint-out-of-service', status: 'refused' });
      expect(unconfirmed.guards.filter((g) => !g.ok).map((g) => g.name)).toEqual(['node-down-confirmed']);
      const confirmed = j.plan.actions[0];
      expect(confirmed.status).toBe('planned');
      expect(confirmed.guards.find((g) => g.name === 'kubelet-not-answering')).toEqual({ name: 'kubelet-not-answering', ok: true, detail: probe.detail });
    }
  });

  it('refuses every node-down action for a node whose kubelet answers, whatever --confirm-node-down says', () => {
    const { plan: p } = judged({ reach: answered.reach, reachDetail: answered.detail });
    expect(p.actions).toHaveLength(1);
    const [a] = p.actions;
    expect(a).toMatchObject({ type: 'taint-out-of-service', status: 'refused' });
    const g = a.guards.find((x) => x.name === 'kubelet-not-answering')!;
    expect(g.ok).toBe(false);
    expect(g.detail).toContain('answered');
    expect(a.message).toContain('the machine is running');
  });

  it('keeps today\'s behaviour for a silent kubelet (the confirmation decides) and shows an unasked one as unknown', () => {
    const quiet = judged({ reach: silent.reach, reachDetail: silent.detail }).plan.actions[0];
    expect(quiet.status).toBe('planned');
    expect(quiet.guards.find((x) => x.name === 'kubelet-not-answering')).toMatchObject({ ok: true });
    const noPermission = judged({ reach: forbidden.reach, reachDetail: forbidden.detail }).plan.actions[0];
    expect(noPermission.status).toBe('planned');
    const g = noPermission.guards.find((x) => x.name === 'kubelet-not-answering')!;
    expect(guardUnknown(g)).toBe(true);
    expect(g.detail).toContain('nodes/proxy');
    expect(guardUnknown(judged().plan.actions[0].guards.find((x) => x.name === 'kubelet-not-answering')!)).toBe(true);
  });

  it('says in every node-down finding that the machine runs, and advises against the taint', () => {
    const { findings } = judged({ reach: answered.reach, reachDetail: answered.detail });
    const about = findings.filter((f) => ['terminating-pod-on-unreachable-node', 'node-down-with-volumes', 'stale-volume-attachment'].includes(f.check));
    expect(about.length).toBeGreaterThanOrEqual(2);
    for (const f of about) {
      expect(f.evidence.some((e) => e.includes('kubelet on worker-3 answered through the API server'))).toBe(true);
      expect(f.remedies[0]).toMatch(/^Do not mark worker-3 out of service/);
      expect(f.remedies.join(' ')).not.toContain('kubectl taint node worker-3 node.kubernetes.io/out-of-service=nodeshutdown');
    }
    const quiet = judged({ reach: silent.reach, reachDetail: silent.detail }).findings.find((f) => f.check === 'node-down-with-volumes')!;
    // The finding quotes what the probe suggests (here a refused connection: the machine most likely on).
    expect(quiet.evidence.some((e) => e.startsWith(silent.detail))).toBe(true);
    expect(quiet.remedies[0]).toMatch(/really powered off/);
  });

  it('asks for the views of nodes findings point at, answering not-Ready nodes and nodes back within the hour, not every node', () => {
    const s = snapshotOf([
      ...downWorker3(), ...story2(),
      node('worker-5', { since: ago('10m'), created: ago('720h') }),
      node('worker-6', { since: ago('3h'), created: ago('720h') }),
      node('worker-7', { since: ago('10m'), created: ago('11m') }),
    ]);
    expect(nodesToAskKubelets(s).sort()).toEqual(['worker-3', 'worker-5']);
  });

  it('reads the kubelet\'s volume metrics by their real names', () => {
    const text = `# HELP kubelet_orphan_pod_cleaned_volumes_errors [ALPHA] The number of orphaned Pods whose volumes failed to be cleaned in the last periodic sweep.
# TYPE kubelet_orphan_pod_cleaned_volumes_errors gauge
kubelet_orphan_pod_cleaned_volumes_errors 2
kubelet_orphan_pod_cleaned_volumes 0
volume_manager_total_volumes{plugin_name="kubernetes.io/nfs",state="actual_state_of_world"} 1
volume_manager_total_volumes{plugin_name="kubernetes.io/nfs",state="desired_state_of_world"} 0
storage_operation_duration_seconds_count{migrated="false",operation_name="volume_unmount",status="fail-unknown",volume_plugin="kubernetes.io/nfs"} 7
storage_operation_duration_seconds_count{migrated="false",operation_name="volume_mount",status="success",volume_plugin="kubernetes.io/nfs"} 3
`;
    expect(kubeletVolumeMetrics(parsePrometheusText(text))).toEqual({
      orphanCleanupErrors: 2,
      orphansCleaned: 0,
      volumes: [{ plugin: 'kubernetes.io/nfs', desired: 0, actual: 1 }],
      failedOperations: [{ plugin: 'kubernetes.io/nfs', operation: 'volume_unmount', count: 7 }],
    });
    expect(kubeletVolumeMetrics(parsePrometheusText('# an older kubelet\nvolume_manager_total_volumes{plugin_name="kubernetes.io/csi:x",state="desired_state_of_world"} 1\n')).orphanCleanupErrors).toBeUndefined();
  });
});
