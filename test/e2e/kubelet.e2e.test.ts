// The kubelet as a witness: each node's simulated kubelet answers through the real API server's node proxy
// (hack/cluster/sim-kubelet.ts, in a network namespace of the cluster's own). Story 9: a kubelet that lost the
// API server but still answers stops every node-down action. Story 10: a pod force-deleted while its kubelet
// was cut off, found again through the kubelet's /pods while it is still cut off, then, once it reconnects,
// through its metrics and log (the volume it cannot unmount).
import { afterAll, describe, expect, it } from 'vitest';
import { reconnectStory10, type ScenarioResult } from '../../hack/cluster/scenarios.js';
import { kubeletAnswers, kubeletSilent, nodeDown } from '../../hack/cluster/controls.js';
import { client, waitFor } from '../../hack/cluster/kube.js';
import { readCluster } from '../../src/cluster/live-reader.js';
import { readKubeletViews } from '../../src/cluster/kubelet-reader.js';
import { diagnoseSnapshot } from '../../src/engine.js';
import { buildStory, cluster, clusterReport, diagnose, diagnoseUntil, Finding, kubectlJson, kubectlRaw, later, plugin } from './helpers.js';

const OUT_OF_SERVICE = 'node.kubernetes.io/out-of-service';
const ORPHANED = 'orphaned-pod-volumes';
const taints = (node: string): { key: string }[] => kubectlJson(['get', 'node', node]).spec.taints ?? [];
const onNode = (f: Finding, node: string) => (f.subject.kind === 'Node' && f.subject.name === node) || f.related.some((r) => r.kind === 'Node' && r.name === node);
const saysDown = (f: Finding) => /\b(down|unreachable|not ready|notready)\b/i.test(f.summary);
const podsOn = (node: string): string[] => kubectlJson(['get', 'pods', '-A', '--field-selector', `spec.nodeName=${node}`]).items.map((p: { metadata: { uid: string } }) => p.metadata.uid).sort();
const attachmentsOn = (node: string): string[] => kubectlJson(['get', 'volumeattachments']).items
  .filter((v: { spec: { nodeName: string } }) => v.spec.nodeName === node).map((v: { metadata: { name: string } }) => v.metadata.name).sort();

interface Action { type: string; target: { kind: string; namespace?: string; name: string }; status: string; message?: string; guards: { name: string; ok: boolean; detail: string }[] }

/** The node an action acts on: its target, or the node of the pod or attachment it deletes. */
function nodeOf(a: Action): string | undefined {
  if (a.target.kind === 'Node') return a.target.name;
  try {
    if (a.target.kind === 'Pod') return kubectlJson(['get', 'pod', a.target.name, '-n', a.target.namespace!]).spec.nodeName;
    if (a.target.kind === 'VolumeAttachment') return kubectlJson(['get', 'volumeattachment', a.target.name]).spec.nodeName;
  } catch {
    return undefined;
  }
  return undefined;
}

/** Until the node's Ready condition has been other than True for `ms` (fix's --node-down-for reads it). */
async function notReadyFor(node: string, ms: number): Promise<void> {
  const ready = kubectlJson(['get', 'node', node]).status.conditions.find((c: { type: string }) => c.type === 'Ready');
  if (ready.status === 'True') throw new Error(`${node} is Ready`);
  const wait = Date.parse(ready.lastTransitionTime) + ms - Date.now();
  if (wait > 0) await new Promise((r) => setTimeout(r, wait));
}

describe('the harness: every node\'s kubelet answers through the API server\'s node proxy', () => {
  it('healthz, its pods as the API binds them, metrics with the kubelet\'s names, the /var/log listing; 503 once silent', async () => {
    const state = cluster();
    const node = state.nodes[0];
    expect(kubectlRaw(`/api/v1/nodes/${node}/proxy/healthz`).stdout).toBe('ok');
    await waitFor(`the kubelet of ${node} listing the pods the API binds to it`, async () => {
      const listed = JSON.parse(kubectlRaw(`/api/v1/nodes/${node}/proxy/pods`).stdout);
      return listed.kind === 'PodList' && JSON.stringify(listed.items.map((p: { metadata: { uid: string } }) => p.metadata.uid).sort()) === JSON.stringify(podsOn(node));
    }, 15_000, 500);
    const metrics = kubectlRaw(`/api/v1/nodes/${node}/proxy/metrics`).stdout;
    expect(metrics).toContain('# TYPE kubelet_orphan_pod_cleaned_volumes_errors gauge\nkubelet_orphan_pod_cleaned_volumes_errors 0\n');
    expect(metrics).toContain('# TYPE kubelet_orphan_pod_cleaned_volumes gauge');
    // Without the NodeLogQuery gate a kubelet ignores ?query= and lists /var/log.
    expect(kubectlRaw(`/api/v1/nodes/${node}/proxy/logs/?query=kubelet&pattern=orphaned`).stdout).toContain('<pre>\n<a href=');

    await kubeletSilent(cluster(), node);
    try {
      const silent = kubectlRaw(`/api/v1/nodes/${node}/proxy/healthz`);
      expect(silent.code).not.toBe(0);
      expect(silent.stderr).toContain('ServiceUnavailable');
      // A stopped kubelet on a running machine: the machine refuses the connection.
      expect(silent.stderr).toContain(`error trying to reach service: dial tcp ${state.kubelets![node].ip}:${state.kubelets![node].port}: connect: connection refused`);
    } finally {
      await kubeletAnswers(cluster(), node);
    }
    expect(kubectlRaw(`/api/v1/nodes/${node}/proxy/healthz`).stdout).toBe('ok');
  });
});

describe('story 9: a node whose kubelet stopped posting status and renewing its Lease, but still answers', () => {
  let s: ScenarioResult;
  afterAll(async () => s?.undo?.());

  it('diagnose says, on every finding that calls the node down, that its kubelet answered', async () => {
    s = await buildStory('kubelet-still-answers', 'story9');
    const node = s.facts.node;
    const { doc } = diagnose(['-A', '--now', later(Date.now(), 10 * 60_000)]);
    const down = doc.findings.filter((f) => onNode(f, node) && saysDown(f));
    expect(down.length, `no finding calls ${node} down: ${JSON.stringify(doc.findings.map((f) => [f.check, f.summary]), null, 1)}`).toBeGreaterThan(0);
    for (const f of down) expect(f.evidence.join('\n'), `${f.check}: ${f.summary}`).toContain(`kubelet on ${node} answered through the API server`);
  });

  it('fix --confirm-node-down refuses every action on the node and writes nothing', async () => {
    const node = s.facts.node;
    // fix judges the real clock: wait until the node has been down past the grace that makes it a finding.
    await diagnoseUntil(['-A'], (fs) => fs.some((f) => onNode(f, node) && saysDown(f)), 120_000);
    const pods = podsOn(node);
    const attachments = attachmentsOn(node);
    const r = plugin(['fix', '-A', '--confirm-node-down', node, '--node-down-for', '20s', '--yes', '-o', 'json']);
    expect(r.code, r.stderr).toBe(1);
    const actions = (JSON.parse(r.stdout).actions as Action[]).filter((a) => nodeOf(a) === node);
    expect(actions.map((a) => `${a.type} ${a.target.name}`)).toContain(`taint-out-of-service ${node}`);
    for (const a of actions) {
      expect(a.status, `${a.type} ${a.target.name}`).toBe('refused');
      const guard = a.guards.find((g) => g.name === 'kubelet-not-answering');
      expect(guard, `${a.type} ${a.target.name}: ${JSON.stringify(a.guards)}`).toMatchObject({ ok: false });
      expect(guard!.detail).toContain('answered');
    }
    expect(taints(node).some((t) => t.key === OUT_OF_SERVICE)).toBe(false);
    expect(podsOn(node)).toEqual(pods);
    expect(attachmentsOn(node)).toEqual(attachments);
  });

  it('once the machine really is off (no kubelet, no address), the same fix writes the taint', async () => {
    const node = s.facts.node;
    // Nothing answers at its address any more: the node proxy's dial waits (kubectl get --raw gives up after 30s).
    await nodeDown(cluster(), node);
    await notReadyFor(node, 25_000);
    const r = plugin(['fix', '-A', '--confirm-node-down', node, '--node-down-for', '20s', '--yes', '-o', 'json', '--timeout', '2m']);
    const why = `fix exited ${r.code}: ${r.stderr}\n${clusterReport(s.namespace)}`;
    const taint = (JSON.parse(r.stdout).actions as Action[]).find((a) => a.type === 'taint-out-of-service' && a.target.name === node);
    expect(taint, why).toBeDefined();
    expect(taint!.status, why).toBe('applied');
    expect(taint!.guards.find((g) => g.name === 'kubelet-not-answering'), why).toMatchObject({ ok: true, detail: expect.stringContaining('consistent with a machine that is off') });
    expect(taints(node).some((t) => t.key === OUT_OF_SERVICE)).toBe(true);
  });
});

describe('story 10: a pod force-deleted while its kubelet was cut off, its NFS volume still mounted', () => {
  let s: ScenarioResult;
  afterAll(async () => s?.undo?.());
  const isPodFinding = (f: Finding) => f.check === ORPHANED && f.subject.kind === 'Pod' && f.subject.namespace === s.namespace && f.subject.name === s.facts.pod;
  const isNodeFinding = (f: Finding) => f.check === ORPHANED && f.subject.kind === 'Node' && f.subject.name === s.facts.node;
  const proxy = (path: string) => kubectlRaw(`/api/v1/nodes/${s.facts.node}/proxy/${path}`).stdout;
  const teardownLog = () => proxy(`logs/?query=kubelet&pattern=${encodeURIComponent(String.raw`UnmountVolume\.TearDown failed`)}`);
  const uids = (list: { items: { metadata: { uid: string } }[] }) => list.items.map((p) => p.metadata.uid);

  it('while still cut off, the kubelet runs and lists the pod the API no longer has; nothing is orphaned yet', async () => {
    s = await buildStory('force-deleted-pod-still-mounted', 'story10');
    expect(uids(kubectlJson(['get', 'pods', '-n', s.namespace]))).not.toContain(s.facts.uid);
    expect(uids(JSON.parse(proxy('pods')))).toContain(s.facts.uid);
    const metrics = proxy('metrics');
    expect(metrics).toContain('\nkubelet_orphan_pod_cleaned_volumes_errors 0\n');
    expect(metrics).toContain('volume_manager_total_volumes{plugin_name="kubernetes.io/nfs",state="desired_state_of_world"} 1\n');
    expect(metrics).toContain('volume_manager_total_volumes{plugin_name="kubernetes.io/nfs",state="actual_state_of_world"} 1\n');
    expect(metrics).not.toContain('operation_name="volume_unmount"');
    // The log query is on: the kubelet's journal answers, without an unmount failure.
    expect(proxy('logs/?query=kubelet')).toContain('"Started kubelet"');
    expect(teardownLog()).toBe('');
  });

  it('diagnose finds the pod through the kubelet\'s /pods, and no orphaned volumes on the node', async () => {
    const node = s.facts.node;
    const { doc } = await diagnoseUntil(['-A'], (fs) => fs.some(isPodFinding), 120_000);
    const pod = doc.findings.find(isPodFinding)!;
    expect(pod.severity).toBe('critical');
    expect(pod.subject).toEqual({ kind: 'Pod', namespace: s.namespace, name: s.facts.pod });
    expect(pod.related).toContainEqual({ kind: 'Node', name: node });
    expect(pod.evidence.join('\n')).toContain('/pods');
    expect(doc.findings.filter(isNodeFinding)).toEqual([]);
  });

  it('once it reconnects, the kubelet drops the pod but cannot unmount its volume, and says so at each retry', async () => {
    s = await reconnectStory10(cluster(), await client(cluster().kubeconfig), s);
    const { uid, uniqueName, path } = s.facts;
    expect(uids(JSON.parse(proxy('pods')))).not.toContain(uid);
    const metrics = proxy('metrics');
    expect(metrics).toContain('\nkubelet_orphan_pod_cleaned_volumes_errors 1\n');
    expect(metrics).toContain('volume_manager_total_volumes{plugin_name="kubernetes.io/nfs",state="actual_state_of_world"} 1\n');
    expect(metrics).not.toContain('volume_manager_total_volumes{plugin_name="kubernetes.io/nfs",state="desired_state_of_world"}');
    expect(metrics).toMatch(/\nstorage_operation_duration_seconds_count\{migrated="false",operation_name="volume_unmount",status="fail-unknown",volume_plugin="kubernetes.io\/nfs"\} [1-9]\d*\n/);

    const failures = teardownLog().split('\n').filter(Boolean);
    expect(failures.length).toBeGreaterThan(0);
    for (const line of failures) {
      expect(line).toMatch(/^\w{3} \d\d \d\d:\d\d:\d\d\.\d{6} \S+ kubelet\[\d+\]: E\d{4} \d\d:\d\d:\d\d\.\d{6} +\d+ nestedpendingoperations\.go:348\] /);
      expect(line).toContain(`] Operation for "{volumeName:${uniqueName} podName:${uid} nodeName:}" failed. No retries permitted until `);
      expect(line).toMatch(/ \+0000 UTC m=\+\d+\.\d{9} \(durationBeforeRetry (500ms|\d+s|\dm\d+s)\)\. Error: /);
      expect(line.endsWith(`Error: UnmountVolume.TearDown failed for volume "${s.facts.volume}" (UniqueName: "${uniqueName}") pod "${uid}" (UID: "${uid}") : unmount failed: exit status 16`), line).toBe(true);
    }
    // mount-utils' error goes on over two more lines: journal entries of their own, without klog's header.
    const journal = proxy('logs/?query=kubelet').split('\n');
    const first = journal.findIndex((l) => l.endsWith(`(UID: "${uid}") : unmount failed: exit status 16`));
    expect(first, journal.join('\n')).toBeGreaterThanOrEqual(0);
    expect(journal[first + 1]).toMatch(/ kubelet\[\d+\]: Unmounting arguments: /);
    expect(journal[first + 1].endsWith(`]: Unmounting arguments: ${path}`), journal[first + 1]).toBe(true);
    expect(journal[first + 2].endsWith(`]: Output: umount.nfs: ${path}: device is busy`), journal[first + 2]).toBe(true);
  });

  it('diagnose then finds the node through its metrics and log, no longer the pod, and no other node', async () => {
    const node = s.facts.node;
    const quotesTeardown = (f: Finding) => f.evidence.some((e) => e.includes('UnmountVolume.TearDown failed') && e.includes(s.facts.uid));
    const { doc } = await diagnoseUntil(['-A'], (fs) => fs.some((f) => isNodeFinding(f) && quotesTeardown(f)), 120_000);
    const onTheNode = doc.findings.find(isNodeFinding)!;
    expect(onTheNode.evidence.join('\n')).toContain('kubelet_orphan_pod_cleaned_volumes_errors 1');
    const quoted = onTheNode.evidence.find((e) => e.includes('UnmountVolume.TearDown failed'))!;
    expect(quoted).toContain(`nestedpendingoperations.go:348] Operation for "{volumeName:${s.facts.uniqueName} podName:${s.facts.uid} nodeName:}" failed.`);
    expect(quoted.endsWith(`(UID: "${s.facts.uid}") : unmount failed: exit status 16`), quoted).toBe(true);
    expect(onTheNode.summary).toContain(`${s.facts.path} is still mounted or busy`);
    expect(doc.findings.filter(isPodFinding)).toEqual([]);
    const elsewhere = doc.findings.filter((f) => f.check === ORPHANED && !onNode(f, node));
    expect(elsewhere).toEqual([]);
  });

  it('with every kubelet asked (diagnose asks only those findings point at), the check stays quiet on every healthy node', async () => {
    const c = await client(cluster().kubeconfig);
    const snapshot = await readCluster(c, { now: new Date().toISOString() });
    await readKubeletViews(c, snapshot, snapshot.nodes.map((n) => n.name));
    const read = (snapshot.kubelets ?? []).filter((k) => k.pods && k.metrics).map((k) => k.node).sort();
    expect(read).toEqual([...cluster().nodes].sort());
    const orphaned = diagnoseSnapshot(snapshot).findings.filter((f) => f.check === ORPHANED);
    expect(orphaned.map((f) => `${f.subject.kind}/${f.subject.name}`)).toEqual([`Node/${s.facts.node}`]);
  });
});
