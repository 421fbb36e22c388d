// Asks kubelets through the API server's node proxy (/api/v1/nodes/NODE/proxy/...): read-only, bounded, and never
// required. What a kubelet says is a witness the Node object cannot be: a kubelet that answers proves its machine
// runs, however stale the node's status and Lease are.
import type { KubeletFact, KubeletMetricsFact, KubeletPodFact, KubeletReach, Snapshot } from '../model/snapshot.js';
import { RequestTimeoutError } from '../errors.js';
import type { KubeClient } from './kube-client.js';
import { shorten } from './kube-client.js';
import { mapLimited } from '../util/concurrency.js';
import { isObject } from '../util/json.js';
import { formatDuration } from '../util/time.js';
import { ephemeralClaimName } from '../model/kubernetes-names.js';

/** The healthz probe waits at most this long, whatever --request-timeout says: the API server's own dial waits 30s. */
export const KUBELET_PROBE_TIMEOUT_MS = 3000;
/** At most this many kubelets are asked per run, this many at a time. */
export const MAX_KUBELETS_ASKED = 32;
const CONCURRENCY = 8;
/** Pods of one kubelet that are looked up by name when the API did not return them. */
const MAX_POD_LOOKUPS = 20;

const proxyPath = (node: string, rest: string) => `/api/v1/nodes/${encodeURIComponent(node)}/proxy/${rest}`;


function parseStatus(body: string): { reason?: string; message?: string } | undefined {
  try {
    const v: unknown = JSON.parse(body);
    if (isObject(v) && v.kind === 'Status') return { reason: typeof v.reason === 'string' ? v.reason : undefined, message: typeof v.message === 'string' ? v.message : undefined };
  } catch {
    // not JSON: the kubelet's own words
  }
  return undefined;
}

/** The kubelet's plain-text refusals and its failing healthz (pkg/kubelet/server and the healthz handler). */
const KUBELET_OWN_ANSWER: Record<number, RegExp> = {
  401: /^Unauthorized\s*$/,
  403: /^Forbidden \(user=[^,]*, verb=[^,]*, resource=/,
  500: /^\[[+-]\]\w+ (ok|failed)|healthz check failed|^Authorization error \(user=/m,
};

/**
 * What a failed probe says about the machine, from the API server's words. Either way the probe stays "silent" (it
 * proves nothing, and the operator's confirmation stays required), but a refused or reset connection means the
 * machine at the node's address answered TCP, and a certificate or TLS error means a TLS server answered there:
 * neither is what a powered-off machine does. Only no answer at all (a timeout, no route) looks like one.
 */
function whatSilenceSays(node: string, said: string): string {
  if (/connection refused|connection reset by peer/i.test(said)) {
    return `something at ${node}'s address answered the connection and refused it: the machine is most likely on, with its kubelet stopped; check it before confirming it is off`;
  }
  if (/x509|tls:|certificate/i.test(said)) {
    return `a TLS server answered at ${node}'s address (most likely its kubelet, with a certificate the API server does not accept): the machine is most likely on; check it before confirming it is off`;
  }
  return 'consistent with a machine that is off, but a crashed kubelet looks the same';
}

/**
 * Reads an answer to GET .../proxy/...: a Kubernetes Status came from the API server (it could not, or would not,
 * reach the kubelet); anything else came through from the kubelet, whatever its status code.
 */
export function judgeProbe(node: string, status: number, body: string): { reach: KubeletReach; detail: string } {
  const asked = `GET ${proxyPath(node, 'healthz')}`;
  const apiStatus = parseStatus(body);
  const said = shorten(apiStatus?.message ?? body, 160).replace(/\s+/g, ' ');
  if (status >= 200 && status < 300) return { reach: 'answered', detail: `the kubelet on ${node} answered through the API server (${asked}: ${status} "${said}"): the machine is running` };
  if (!apiStatus) {
    if (status === 502 || status === 503 || status === 504) return { reach: 'silent', detail: `no kubelet answered for ${node} (${asked}: ${status}${said ? ` "${said}"` : ''}): ${whatSilenceSays(node, said)}` };
    // Only what a kubelet itself writes on /healthz counts: its authn/authz refusals and a failing health check, in
    // their own words. A proxy or gateway between the API server and the node may answer too, and proves nothing.
    if (KUBELET_OWN_ANSWER[status]?.test(body)) return { reach: 'answered', detail: `the kubelet on ${node} answered through the API server (${asked}: ${status} "${said}"): the machine is running` };
    return { reach: 'unknown', detail: `could not ask the kubelet on ${node}: ${asked} answered ${status}${said ? ` "${said}"` : ''}, which is not what a kubelet or the API server's node proxy says` };
  }
  if (status === 502 || status === 503 || status === 504) {
    return { reach: 'silent', detail: `${`the API server could not reach the kubelet on ${node} (${status} ${apiStatus.reason ?? ''}: ${said})`.replace(/ +:/, ':')}: ${whatSilenceSays(node, said)}` };
  }
  if (status === 403) return { reach: 'unknown', detail: `could not ask the kubelet on ${node}: no permission to get nodes/proxy (403: ${said})` };
  if (status === 404) return { reach: 'unknown', detail: `could not ask the kubelet on ${node}: the API server answered 404 (${said})` };
  return { reach: 'unknown', detail: `could not ask the kubelet on ${node}: the API server answered ${status}${apiStatus.reason ? ` ${apiStatus.reason}` : ''} (${said})` };
}

/** GET /api/v1/nodes/NODE/proxy/healthz, once, within KUBELET_PROBE_TIMEOUT_MS. */
export async function probeKubelet(client: KubeClient, node: string): Promise<KubeletFact> {
  try {
    const { status, body } = await client.getRaw(proxyPath(node, 'healthz'), { timeoutMs: KUBELET_PROBE_TIMEOUT_MS });
    const { reach, detail } = judgeProbe(node, status, body);
    return { node, reach, reachDetail: detail, notes: [] };
  } catch (err) {
    if (err instanceof RequestTimeoutError) {
      return { node, reach: 'silent', reachDetail: `no answer from the kubelet on ${node} through the API server within ${formatDuration(KUBELET_PROBE_TIMEOUT_MS)}: ${whatSilenceSays(node, '')}`, notes: [] };
    }
    return { node, reach: 'unknown', reachDetail: `could not ask the kubelet on ${node}: ${shorten((err as Error).message, 200)}`, notes: [] };
  }
}

function record(snapshot: Snapshot, fact: KubeletFact): void {
  const list = (snapshot.kubelets ??= []);
  const at = list.findIndex((k) => k.node === fact.node);
  if (at >= 0) list[at] = fact;
  else list.push(fact);
}

function noteNotChecked(snapshot: Snapshot, line: string): void {
  const list = (snapshot.notChecked ??= []);
  if (!list.includes(line)) list.push(line);
}

const listNodes = (nodes: string[]) => (nodes.length > 5 ? `${nodes.slice(0, 5).join(', ')} and ${nodes.length - 5} more` : nodes.join(', '));
const ASK_BY_NAME = 'name a node to ask its kubelet (diagnose node/NAME)';

/** Per snapshot: the nodes left over for the cap, and the lines restateUnasked wrote last (a later phase replaces them). */
interface Unasked {
  /** NotReady nodes the probes left over for the cap. */
  capped: Set<string>;
  /** Nodes whose view was wanted but not read for the cap (the last readKubeletViews). */
  unread: string[];
  lines: string[];
}
const UNASKED = new WeakMap<Snapshot, Unasked>();

/**
 * Says which kubelets were not asked, and why, as things stand now: called after each phase of a run, it replaces
 * what it said before (a node left over by the first probes may be asked later, for the findings that point at it).
 */
function restateUnasked(snapshot: Snapshot, more: { capped?: string[]; unread?: string[] }): void {
  const state = UNASKED.get(snapshot) ?? { capped: new Set<string>(), unread: [], lines: [] };
  if (snapshot.notChecked) snapshot.notChecked = snapshot.notChecked.filter((l) => !state.lines.includes(l));
  for (const n of more.capped ?? []) state.capped.add(n);
  if (more.unread) state.unread = more.unread;
  const facts = snapshot.kubelets ?? [];
  const asked = new Set(facts.map((f) => f.node));
  const lines: string[] = [];
  const forbidden = facts.filter((f) => f.reach === 'unknown' && /no permission to get nodes\/proxy/.test(f.reachDetail));
  if (forbidden.length) lines.push(`the kubelet${forbidden.length === 1 ? '' : 's'} of ${listNodes(forbidden.map((f) => f.node))}: no permission to get nodes/proxy, so volume-doctor could not ask whether ${forbidden.length === 1 ? 'that machine runs' : 'those machines run'}`);
  for (const f of facts.filter((x) => x.reach === 'unknown' && !forbidden.includes(x))) lines.push(f.reachDetail);
  const capped = [...state.capped].filter((n) => !asked.has(n)).sort();
  if (capped.length) lines.push(`the kubelet${capped.length === 1 ? '' : 's'} of NotReady ${listNodes(capped)}: not asked whether ${capped.length === 1 ? 'that machine runs' : 'those machines run'} (volume-doctor asks at most ${MAX_KUBELETS_ASKED} kubelets per run); ${ASK_BY_NAME}`);
  const unread = state.unread;
  if (unread.length) lines.push(`the kubelet${unread.length === 1 ? '' : 's'} of ${listNodes(unread)}, which findings point at: ${unread.length === 1 ? 'its' : 'their'} pods, metrics and log were not read (volume-doctor reads at most ${MAX_KUBELETS_ASKED} kubelets per run); ${ASK_BY_NAME}`);
  for (const line of lines) noteNotChecked(snapshot, line);
  state.lines = lines;
  UNASKED.set(snapshot, state);
  if (snapshot.notChecked?.length === 0) delete snapshot.notChecked;
}

/**
 * Probes the kubelet of every node that is not Ready (those are the only nodes a node-down step can be planned
 * for), at most MAX_KUBELETS_ASKED of them: `first` before the others (the node a targeted read, and so a fix's
 * re-read before its write, is about), the rest by name; those left over are said to be unasked.
 */
export async function probeNotReadyKubelets(client: KubeClient, snapshot: Snapshot, first: string[] = []): Promise<void> {
  const notReady = new Set(snapshot.nodes.filter((n) => n.ready !== 'True').map((n) => n.name));
  const ordered = [...new Set([...first.filter((n) => notReady.has(n)), ...[...notReady].sort()])];
  const facts = await mapLimited(ordered.slice(0, MAX_KUBELETS_ASKED), CONCURRENCY, (node) => probeKubelet(client, node));
  for (const f of facts) record(snapshot, f);
  restateUnasked(snapshot, { capped: ordered.slice(MAX_KUBELETS_ASKED) });
}

/**
 * A part of an answering kubelet's view that could not be read: kept with the kubelet (a finding about its node
 * quotes it) and said under "not checked", with what it leaves unchecked.
 */
function partlyRead(snapshot: Snapshot, fact: KubeletFact, note: string, unchecked: string): void {
  fact.notes.push(note);
  noteNotChecked(snapshot, `the kubelet on ${fact.node}: ${note}: ${unchecked}`);
}

const ANSWER_FAILED = (status: number, body: string) => `answered ${status} (${shorten(parseStatus(body)?.message ?? body, 120)})`;
const POD_LIST_UNCHECKED = 'pods it may still run were not compared with the API';
const METRICS_UNCHECKED = 'its counts of volumes it failed to clean up, of mounted volumes and of failed volume operations were not read';
const LOG_UNCHECKED = 'its own log lines about volumes it failed to unmount were not read';

/** Volume kinds that live past the pod (the kubelet must unmount them); emptyDir, configMap and the like do not matter here. */
const EPHEMERAL = new Set(['emptyDir', 'configMap', 'secret', 'projected', 'downwardAPI', 'name', 'ephemeral', 'image']);

function lastingVolumes(podName: string, spec: unknown): { volumes: string[]; claims: string[] } {
  const out: string[] = [];
  const claims: string[] = [];
  if (!isObject(spec) || !Array.isArray(spec.volumes)) return { volumes: out, claims };
  for (const v of spec.volumes) {
    if (!isObject(v) || typeof v.name !== 'string') continue;
    if (isObject(v.persistentVolumeClaim) && typeof v.persistentVolumeClaim.claimName === 'string') {
      claims.push(v.persistentVolumeClaim.claimName);
      out.push(`claim ${v.persistentVolumeClaim.claimName}`);
    }
    else if (isObject(v.ephemeral) && isObject(v.ephemeral.volumeClaimTemplate)) {
      const claim = ephemeralClaimName(podName, v.name);
      claims.push(claim);
      out.push(`claim ${claim} (generic ephemeral volume ${v.name})`);
    }
    else if (isObject(v.nfs)) out.push(`nfs ${String(v.nfs.server ?? '?')}:${String(v.nfs.path ?? '?')}`);
    else if (isObject(v.csi)) out.push(`csi ${String(v.csi.driver ?? '?')} (volume ${v.name})`);
    else {
      const kind = Object.keys(v).find((k) => !EPHEMERAL.has(k));
      if (kind) out.push(`${kind} (volume ${v.name})`);
    }
  }
  return { volumes: out, claims };
}

/** The kubelet's /pods: the pods it runs that hold lasting volumes, and what the API says about each. */
async function readKubeletPods(client: KubeClient, snapshot: Snapshot, fact: KubeletFact): Promise<void> {
  let body: string;
  try {
    const answer = await client.getRaw(proxyPath(fact.node, 'pods'));
    if (answer.status !== 200) {
      partlyRead(snapshot, fact, `its /pods ${ANSWER_FAILED(answer.status, answer.body)}`, POD_LIST_UNCHECKED);
      return;
    }
    body = answer.body;
  } catch (err) {
    partlyRead(snapshot, fact, `its /pods could not be read (${shorten((err as Error).message, 160)})`, POD_LIST_UNCHECKED);
    return;
  }
  let list: unknown;
  try {
    list = JSON.parse(body);
  } catch {
    partlyRead(snapshot, fact, 'its /pods answer is not JSON', POD_LIST_UNCHECKED);
    return;
  }
  if (!isObject(list) || !(Array.isArray(list.items) || list.items === null)) {
    partlyRead(snapshot, fact, 'its /pods answer is not a pod list', POD_LIST_UNCHECKED);
    return;
  }
  const byUid = new Map(snapshot.pods.map((p) => [p.uid, p]));
  const pods: KubeletPodFact[] = [];
  let lookups = 0;
  let unreadable = 0;
  for (const item of list.items ?? []) {
    const meta = isObject(item) ? item.metadata : undefined;
    if (!isObject(meta) || typeof meta.name !== 'string' || typeof meta.namespace !== 'string' || typeof meta.uid !== 'string') {
      unreadable++;
      continue;
    }
    // Static pods (from a file or URL on the node) have another uid than their mirror pod in the API.
    const source = isObject(meta.annotations) ? meta.annotations['kubernetes.io/config.source'] : undefined;
    if (source !== undefined && source !== 'api') continue;
    const { volumes, claims } = lastingVolumes(meta.name, item.spec);
    if (!volumes.length) continue;
    const pod: KubeletPodFact = { namespace: meta.namespace, name: meta.name, uid: meta.uid, volumes, claims, api: 'unknown' };
    if (byUid.has(meta.uid)) pod.api = 'present';
    else if (lookups++ >= MAX_POD_LOOKUPS) pod.apiDetail = `not looked up: more than ${MAX_POD_LOOKUPS} pods of this kubelet were missing from what was read`;
    else await lookUpPod(client, pod);
    pods.push(pod);
  }
  fact.pods = pods;
  // What could not be judged is said, never taken as "the API has it".
  const unknown = pods.filter((p) => p.api === 'unknown');
  if (unreadable) noteNotChecked(snapshot, `${unreadable} of the pods the kubelet on ${fact.node} lists could not be read (no name, namespace or uid)`);
  if (unknown.length) noteNotChecked(snapshot, `whether the API still has ${unknown.map((p) => `${p.namespace}/${p.name}`).slice(0, 5).join(', ')}${unknown.length > 5 ? ` and ${unknown.length - 5} more` : ''}, which the kubelet on ${fact.node} runs: ${unknown[0].apiDetail ?? 'not looked up'}`);
}

/** Absence proven only by a 404 for the pod; a pod of that name with another uid is a replacement. */
async function lookUpPod(client: KubeClient, pod: KubeletPodFact): Promise<void> {
  try {
    const found = await client.get<{ metadata?: { uid?: unknown; deletionTimestamp?: unknown } }>(`/api/v1/namespaces/${encodeURIComponent(pod.namespace)}/pods/${encodeURIComponent(pod.name)}`);
    if (found === undefined) {
      pod.api = 'gone';
      pod.apiDetail = `the API server has no pod ${pod.namespace}/${pod.name} (404)`;
    } else if (typeof found.metadata?.uid !== 'string') {
      pod.apiDetail = `the API server's pod ${pod.namespace}/${pod.name} has no uid`;
    } else if (found.metadata.uid === pod.uid) {
      pod.api = 'present';
    } else {
      pod.api = 'replaced';
      pod.apiDetail = `the API server's pod ${pod.namespace}/${pod.name} is another pod (uid ${found.metadata.uid}): the one the kubelet runs (uid ${pod.uid}) was deleted`;
    }
  } catch (err) {
    pod.apiDetail = `could not look pod ${pod.namespace}/${pod.name} up: ${shorten((err as Error).message, 160)}`;
  }
}

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Prometheus text exposition: `name{label="value",...} number`; comments and anything unreadable are skipped. */
export function parsePrometheusText(text: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)/.exec(line.trim());
    if (!m) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[3] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]] = l[2].replace(/\\(.)/g, (_x, c: string) => (c === 'n' ? '\n' : c));
    const value = Number(m[4]);
    if (!Number.isNaN(value)) out.push({ name: m[1], labels, value });
  }
  return out;
}

export function kubeletVolumeMetrics(samples: Sample[]): KubeletMetricsFact {
  const one = (name: string) => samples.find((s) => s.name === name)?.value;
  const volumes = new Map<string, { plugin: string; desired: number; actual: number }>();
  for (const s of samples.filter((x) => x.name === 'volume_manager_total_volumes')) {
    const plugin = s.labels.plugin_name ?? '?';
    const v = volumes.get(plugin) ?? { plugin, desired: 0, actual: 0 };
    if (s.labels.state === 'desired_state_of_world') v.desired += s.value;
    if (s.labels.state === 'actual_state_of_world') v.actual += s.value;
    volumes.set(plugin, v);
  }
  const failedOperations = samples
    .filter((s) => s.name === 'storage_operation_duration_seconds_count' && s.labels.status === 'fail-unknown' && s.value > 0)
    .map((s) => ({ plugin: s.labels.volume_plugin ?? '?', operation: s.labels.operation_name ?? '?', count: s.value }));
  return {
    orphanCleanupErrors: one('kubelet_orphan_pod_cleaned_volumes_errors'),
    orphansCleaned: one('kubelet_orphan_pod_cleaned_volumes'),
    volumes: [...volumes.values()].sort((a, b) => a.plugin.localeCompare(b.plugin)),
    failedOperations,
  };
}

async function readKubeletMetrics(client: KubeClient, snapshot: Snapshot, fact: KubeletFact): Promise<void> {
  try {
    const answer = await client.getRaw(proxyPath(fact.node, 'metrics'));
    if (answer.status !== 200) {
      partlyRead(snapshot, fact, `its /metrics ${ANSWER_FAILED(answer.status, answer.body)}`, METRICS_UNCHECKED);
      return;
    }
    fact.metrics = kubeletVolumeMetrics(parsePrometheusText(answer.body));
  } catch (err) {
    partlyRead(snapshot, fact, `its /metrics could not be read (${shorten((err as Error).message, 160)})`, METRICS_UNCHECKED);
  }
}

/**
 * The kubelet's lines about pod volumes it cannot clean up. At default verbosity a 1.27+ kubelet logs a still-mounted
 * orphan only at V(3); what shows is the volume manager's failed unmount ("Operation for ... failed. ... Error:
 * UnmountVolume.TearDown failed for volume ...") and "Pod found, but error occurred during checking mounted volumes
 * from disk". "[Oo]rphaned pod ... found, but" is the older wording (capitalised before 1.21) and the one still
 * logged when removing a pod's directories fails.
 */
export const VOLUME_CLEANUP_LOG_PATTERN = '[Oo]rphaned pod .*found, but|UnmountVolume\\.TearDown failed|error occurred during checking mounted volumes';
const MAX_LOG_LINES = 5;
/** A failed unmount's line names the volume twice and the pod before its reason, at the end: 400 cut the reason off. */
const MAX_LOG_LINE = 800;

/**
 * The node log query (/logs/?query=kubelet): off unless the NodeLogQuery gate and enableSystemLogQuery are on.
 * Without them the kubelet ignores the query and lists /var/log as HTML, which is not its log. That is the default,
 * so it is kept with the kubelet (a finding about its node says so) and not said under "not checked": it would be
 * said for nearly every kubelet asked, and /pods and /metrics carry the evidence the log would add to.
 */
async function readKubeletLog(client: KubeClient, snapshot: Snapshot, fact: KubeletFact): Promise<void> {
  try {
    const answer = await client.getRaw(proxyPath(fact.node, 'logs/'), { query: { query: 'kubelet', pattern: VOLUME_CLEANUP_LOG_PATTERN } });
    if (answer.status !== 200) {
      partlyRead(snapshot, fact, `its log query ${ANSWER_FAILED(answer.status, answer.body)}`, LOG_UNCHECKED);
      return;
    }
    if (/^\s*<|<a href=/i.test(answer.body)) {
      fact.notes.push('its log query is not enabled (the NodeLogQuery feature gate and enableSystemLogQuery are off): the kubelet log was not read');
      return;
    }
    const wanted = new RegExp(VOLUME_CLEANUP_LOG_PATTERN);
    fact.logLines = answer.body.split('\n').filter((l) => wanted.test(l)).slice(-MAX_LOG_LINES).map((l) => shorten(l, MAX_LOG_LINE));
  } catch (err) {
    partlyRead(snapshot, fact, `its log could not be read (${shorten((err as Error).message, 160)})`, LOG_UNCHECKED);
  }
}

/**
 * The kubelet's own view of the given nodes (at most MAX_KUBELETS_ASKED, in the order given; the rest are said to
 * be unread): healthz first (unless already probed), then, only from kubelets that answer, their /pods, /metrics
 * and volume cleanup log lines.
 */
export async function readKubeletViews(client: KubeClient, snapshot: Snapshot, nodes: string[]): Promise<void> {
  const known = new Set(snapshot.nodes.map((n) => n.name));
  // A kubelet already found silent or unreachable has nothing more to read: it takes none of the places.
  const probed = new Map((snapshot.kubelets ?? []).map((k) => [k.node, k.reach]));
  const wanted = [...new Set(nodes)].filter((n) => known.has(n) && (probed.get(n) ?? 'answered') === 'answered');
  const facts = await mapLimited(wanted.slice(0, MAX_KUBELETS_ASKED), CONCURRENCY, async (node) => {
    const fact = snapshot.kubelets?.find((k) => k.node === node) ?? await probeKubelet(client, node);
    if (fact.reach === 'answered') await Promise.all([readKubeletPods(client, snapshot, fact), readKubeletMetrics(client, snapshot, fact), readKubeletLog(client, snapshot, fact)]);
    return fact;
  });
  for (const f of facts) record(snapshot, f);
  restateUnasked(snapshot, { unread: wanted.slice(MAX_KUBELETS_ASKED) });
}
