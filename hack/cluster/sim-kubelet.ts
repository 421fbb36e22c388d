// One node's simulated kubelet: node sim-kubelet.js DIR NODE ADDRESS PORT CERT KEY, run inside the cluster's
// network namespace. It serves what volume-doctor reads through the API server's node proxy, in the kubelet's
// own shapes: /healthz, /pods (its desired set), /metrics (its real metric names), /logs/?query=kubelet.
// Its pods come from the file the agent writes while the node is connected (so they freeze while it is cut
// off), its orphaned volumes and log-query switch from controls.json. No authentication: the API server here
// holds no kubelet client certificate, as with a kubelet run with --anonymous-auth and AlwaysAllow.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Controls, OrphanedPod, readControls } from './state.js';
import { readView, teardownError, uniqueVolumeName, KubeletView } from './kubelets.js';

const [dir, node, address, port, certFile, keyFile] = process.argv.slice(2);
const started = new Date();
const log = (line: string) => process.stdout.write(`${new Date().toISOString()} ${line}\n`);

let lastControls: Controls = { attacherPaused: false, pinnedInUse: {}, downNodes: [] };
function controls(): Controls {
  try {
    lastControls = readControls(dir);
  } catch {
    // keep the last good one
  }
  return lastControls;
}

let lastView: KubeletView = { node, updated: '', pods: [], volumes: [] };
function view(): KubeletView {
  try {
    lastView = readView(dir, node);
  } catch {
    // keep the last good one
  }
  return lastView;
}

// The volume manager's operation counts since this kubelet started: a mount per volume it has seen mounted.
const mountedSeen = new Map<string, string>();

/**
 * When the reconciler tried, and failed, to unmount a volume that stays busy since `since` (or since this kubelet
 * started, whose backoff starts afresh), up to now: it retries as soon as nestedpendingoperations' exponential
 * backoff allows (500ms, doubling, at most 2m2s), so every 2m2s after the first two minutes. The few
 * milliseconds each attempt and the reconciler's 100ms loop add are left out.
 */
function failedUnmounts(since: string, now: number): { at: number; backoff: number }[] {
  const attempts: { at: number; backoff: number }[] = [];
  let backoff = 500;
  for (let at = Math.max(Date.parse(since), started.getTime()); at <= now; at += backoff, backoff = Math.min(2 * backoff, 122_000)) attempts.push({ at, backoff });
  return attempts;
}

function labels(pairs: Record<string, string>): string {
  return `{${Object.keys(pairs).sort().map((k) => `${k}="${pairs[k].replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`).join(',')}}`;
}

const BUCKETS = ['0.1', '0.25', '0.5', '1', '2.5', '5', '10', '15', '25', '50', '120', '300', '600', '+Inf'];

/** Prometheus text as the kubelet's legacy registry writes it: families sorted by name, labels sorted, [ALPHA] help. */
function metrics(): string {
  const v = view();
  const orphans: OrphanedPod[] = controls().orphanedPods?.[node] ?? [];
  const out: string[] = [];
  // The registry leaves out a family with no samples (a histogram nothing was observed in).
  const family = (name: string, type: string, help: string, samples: string[]) => {
    if (samples.length) out.push(`# HELP ${name} [ALPHA] ${help}`, `# TYPE ${name} ${type}`, ...samples);
  };
  family('kubelet_orphan_pod_cleaned_volumes', 'gauge', 'The total number of orphaned Pods whose volumes were cleaned in the last periodic sweep.', ['kubelet_orphan_pod_cleaned_volumes 0']);
  family('kubelet_orphan_pod_cleaned_volumes_errors', 'gauge', 'The number of orphaned Pods whose volumes failed to be cleaned in the last periodic sweep.', [`kubelet_orphan_pod_cleaned_volumes_errors ${orphans.length}`]);

  for (const vol of v.volumes.filter((x) => x.mounted)) mountedSeen.set(`${vol.podUid}/${vol.name}`, vol.plugin);
  const ops = new Map<string, { plugin: string; operation: string; status: string; count: number }>();
  const count = (plugin: string, operation: string, status: string, n = 1) => {
    const key = `${plugin}|${operation}|${status}`;
    const o = ops.get(key) ?? { plugin, operation, status, count: 0 };
    o.count += n;
    ops.set(key, o);
  };
  for (const plugin of mountedSeen.values()) count(plugin, 'volume_mount', 'success');
  const now = Date.now();
  for (const o of orphans) {
    for (const vol of o.volumes) {
      const failed = failedUnmounts(o.since, now).length;
      if (failed) count(vol.plugin, 'volume_unmount', 'fail-unknown', failed);
    }
  }
  const histogram: string[] = [];
  for (const o of [...ops.values()].sort((a, b) => `${a.plugin}${a.operation}${a.status}`.localeCompare(`${b.plugin}${b.operation}${b.status}`))) {
    const l = { migrated: 'false', operation_name: o.operation, status: o.status, volume_plugin: o.plugin };
    // client_golang writes the bucket bound after the sorted labels.
    for (const le of BUCKETS) histogram.push(`storage_operation_duration_seconds_bucket${labels(l).slice(0, -1)},le="${le}"} ${o.count}`);
    histogram.push(`storage_operation_duration_seconds_sum${labels(l)} ${(o.count * 0.05).toFixed(2)}`);
    histogram.push(`storage_operation_duration_seconds_count${labels(l)} ${o.count}`);
  }
  family('storage_operation_duration_seconds', 'histogram', 'Storage operation duration', histogram);

  // An orphaned pod's volumes have left the desired state of world and stay in the actual one (still mounted).
  const totals = new Map<string, number>();
  const add = (plugin: string, state: string) => totals.set(`${plugin}\0${state}`, (totals.get(`${plugin}\0${state}`) ?? 0) + 1);
  const orphaned = new Set(orphans.map((o) => o.uid));
  const mounted = new Map<string, string>();
  for (const vol of v.volumes) {
    if (!orphaned.has(vol.podUid)) add(vol.plugin, 'desired_state_of_world');
    if (vol.mounted) mounted.set(`${vol.podUid}/${vol.name}`, vol.plugin);
  }
  for (const o of orphans) for (const vol of o.volumes) mounted.set(`${o.uid}/${vol.name}`, vol.plugin);
  for (const plugin of mounted.values()) add(plugin, 'actual_state_of_world');
  family('volume_manager_total_volumes', 'gauge', 'Number of volumes in Volume Manager',
    [...totals.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([k, n]) => {
      const [plugin, state] = k.split('\0');
      return `volume_manager_total_volumes${labels({ plugin_name: plugin, state })} ${n}`;
    }));
  return `${out.join('\n')}\n`;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const p2 = (n: number) => String(n).padStart(2, '0');
const micros = (t: Date) => `${String(t.getUTCMilliseconds()).padStart(3, '0')}000`;

type JournalEntry = { at: number; message: string; line: string };

/** One journal entry of the kubelet unit (journalctl --utc --output=short-precise): a line it wrote to stderr. */
function journalLine(t: Date, message: string): JournalEntry {
  const stamp = `${MONTHS[t.getUTCMonth()]} ${p2(t.getUTCDate())} ${p2(t.getUTCHours())}:${p2(t.getUTCMinutes())}:${p2(t.getUTCSeconds())}.${micros(t)}`;
  return { at: t.getTime(), message, line: `${stamp} ${node} kubelet[${process.pid}]: ${message}` };
}

/**
 * A klog line as journal entries: the first carries klog's header; journald makes every further line of a
 * message with newlines (mount-utils' errors have them) an entry of its own, without a header.
 */
function klog(t: Date, severity: 'I' | 'W' | 'E', source: string, message: string): JournalEntry[] {
  const header = `${severity}${p2(t.getUTCMonth() + 1)}${p2(t.getUTCDate())} ${p2(t.getUTCHours())}:${p2(t.getUTCMinutes())}:${p2(t.getUTCSeconds())}.${micros(t)} ${String(process.pid).padStart(7)} ${source}] `;
  return `${header}${message}`.replace(/\n$/, '').split('\n').map((line) => journalLine(t, line));
}

const quote = (s: string) => `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;

/** Go's time.Time String() of a time.Now()-based value in UTC: fraction without trailing zeros, then the monotonic reading. */
function goTime(t: Date): string {
  const frac = t.getUTCMilliseconds() ? `.${String(t.getUTCMilliseconds()).padStart(3, '0').replace(/0+$/, '')}` : '';
  const mono = t.getTime() - started.getTime();
  return `${t.getUTCFullYear()}-${p2(t.getUTCMonth() + 1)}-${p2(t.getUTCDate())} ${p2(t.getUTCHours())}:${p2(t.getUTCMinutes())}:${p2(t.getUTCSeconds())}${frac} +0000 UTC m=+${Math.floor(mono / 1000)}.${String(mono % 1000).padStart(3, '0')}000000`;
}

/** Go's time.Duration String() for the whole milliseconds and seconds of the backoff: 500ms, 4s, 1m4s, 2m2s. */
function goDuration(ms: number): string {
  if (ms < 1000) return `${ms}ms`;
  const s = Math.round(ms / 1000);
  return s >= 60 ? `${Math.floor(s / 60)}m${s % 60}s` : `${s}s`;
}

/**
 * The kubelet unit's journal: its start, then, for each volume of an orphaned pod it cannot unmount, the volume
 * manager's failed UnmountVolume.TearDown at each retry. (The housekeeping sweep's "Orphaned pod ... found, but
 * volumes are not cleaned up" is logged at V(3) only, so not at the default verbosity.)
 */
function journal(): JournalEntry[] {
  const lines = [
    ...klog(started, 'I', 'server.go:1262', '"Started kubelet"'),
    ...klog(started, 'I', 'server.go:163', `"Starting to listen" address=${quote(address)} port=${port}`),
  ];
  const now = Date.now();
  for (const o of controls().orphanedPods?.[node] ?? []) {
    for (const vol of o.volumes) {
      const unique = uniqueVolumeName(o.uid, vol.plugin, vol.name);
      const key = `{volumeName:${unique} podName:${o.uid} nodeName:}`;
      const error = `UnmountVolume.TearDown failed for volume ${quote(vol.outer ?? vol.name)} (UniqueName: ${quote(unique)}) pod ${quote(o.uid)} (UID: ${quote(o.uid)}) : ${teardownError(o.uid, vol.plugin, vol.name)}`;
      // The last 20 failures per volume are enough to show the pattern and keep the answer small.
      for (const { at, backoff } of failedUnmounts(o.since, now).slice(-20)) {
        lines.push(...klog(new Date(at), 'E', 'nestedpendingoperations.go:348',
          `Operation for ${quote(key)} failed. No retries permitted until ${goTime(new Date(at + backoff))} (durationBeforeRetry ${goDuration(backoff)}). Error: ${error}`));
      }
    }
  }
  return lines.sort((a, b) => a.at - b.at);
}

function send(res: ServerResponse, code: number, type: string, body: string): void {
  res.writeHead(code, { 'Content-Type': type, 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

/** /var/log as Go's http.FileServer lists a directory: what /logs/ serves when the NodeLogQuery gate is off. */
const VAR_LOG_LISTING = '<!doctype html>\n<meta name="viewport" content="width=device-width">\n<pre>\n<a href="containers/">containers/</a>\n<a href="journal/">journal/</a>\n<a href="pods/">pods/</a>\n</pre>\n';

function logs(url: URL, res: ServerResponse): void {
  const query = url.searchParams.get('query');
  if (!query || !(controls().logQueryNodes ?? []).includes(node)) return send(res, 200, 'text/html; charset=utf-8', VAR_LOG_LISTING);
  if (query !== 'kubelet') return send(res, 200, 'text/plain; charset=utf-8', '');
  const pattern = url.searchParams.get('pattern');
  let re: RegExp | undefined;
  try {
    // journalctl --grep: case-insensitive when the pattern has no upper-case letter.
    re = pattern ? new RegExp(pattern, pattern === pattern.toLowerCase() ? 'i' : '') : undefined;
  } catch (err) {
    return send(res, 400, 'text/plain; charset=utf-8', `failed to parse pattern: ${(err as Error).message}\n`);
  }
  let lines = journal().filter((e) => !re || re.test(e.message)).map((e) => e.line);
  const tail = Number(url.searchParams.get('tailLines'));
  if (tail > 0) lines = lines.slice(-tail);
  send(res, 200, 'text/plain; charset=utf-8', lines.length ? `${lines.join('\n')}\n` : '');
}

function handle(req: IncomingMessage, res: ServerResponse): void {
  const url = new URL(req.url ?? '/', `https://${address}:${port}`);
  if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'text/plain; charset=utf-8', 'Method Not Allowed\n');
  if (url.pathname === '/healthz') return send(res, 200, 'text/plain; charset=utf-8', 'ok');
  if (url.pathname === '/pods' || url.pathname === '/pods/') {
    return send(res, 200, 'application/json', JSON.stringify({ kind: 'PodList', apiVersion: 'v1', metadata: {}, items: view().pods }));
  }
  if (url.pathname === '/metrics') return send(res, 200, 'text/plain; version=0.0.4; charset=utf-8', metrics());
  if (url.pathname === '/logs' || url.pathname.startsWith('/logs/')) return logs(url, res);
  send(res, 404, 'text/plain; charset=utf-8', '404 page not found\n');
}

const server = createServer({ cert: readFileSync(certFile), key: readFileSync(keyFile) }, (req, res) => {
  try {
    handle(req, res);
  } catch (err) {
    log(`${req.url}: ${(err as Error).message}`);
    if (!res.headersSent) send(res, 500, 'text/plain; charset=utf-8', `${(err as Error).message}\n`);
  }
});
server.listen(Number(port), address, () => log(`kubelet of ${node} listening on https://${address}:${port}`));
// The API server keeps proxied connections open: closing the server would wait for them.
process.on('SIGTERM', () => process.exit(0));
