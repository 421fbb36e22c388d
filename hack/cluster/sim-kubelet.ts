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
import { readView, volumeDir, KubeletView } from './kubelets.js';

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
  // The reconciler retries the unmount of a busy orphaned volume about once a minute after its backoff grows.
  for (const o of orphans) for (const vol of o.volumes) count(vol.plugin, 'volume_unmount', 'fail-unknown', 1 + Math.floor(Math.max(0, Date.now() - Date.parse(o.since)) / 60_000));
  const histogram: string[] = [];
  for (const o of [...ops.values()].sort((a, b) => `${a.plugin}${a.operation}${a.status}`.localeCompare(`${b.plugin}${b.operation}${b.status}`))) {
    const l = { migrated: 'false', operation_name: o.operation, status: o.status, volume_plugin: o.plugin };
    // client_golang writes the bucket bound after the sorted labels.
    for (const le of BUCKETS) histogram.push(`storage_operation_duration_seconds_bucket${labels(l).slice(0, -1)},le="${le}"} ${o.count}`);
    histogram.push(`storage_operation_duration_seconds_sum${labels(l)} ${(o.count * 0.05).toFixed(2)}`);
    histogram.push(`storage_operation_duration_seconds_count${labels(l)} ${o.count}`);
  }
  family('storage_operation_duration_seconds', 'histogram', 'Storage operation duration', histogram);

  // An orphaned pod's volumes have left the desired state of world and stay in the actual one (still mounted),
  // even while a cut-off kubelet's frozen pod list still shows the pod.
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

/** One journal entry of the kubelet unit: journalctl --utc --output=short-precise around a klog line. */
function entry(t: Date, severity: 'I' | 'W' | 'E', source: string, message: string): { at: number; message: string; line: string } {
  const klog = `${severity}${p2(t.getUTCMonth() + 1)}${p2(t.getUTCDate())} ${p2(t.getUTCHours())}:${p2(t.getUTCMinutes())}:${p2(t.getUTCSeconds())}.${micros(t)} ${String(process.pid).padStart(7)} ${source}] ${message}`;
  const stamp = `${MONTHS[t.getUTCMonth()]} ${p2(t.getUTCDate())} ${p2(t.getUTCHours())}:${p2(t.getUTCMinutes())}:${p2(t.getUTCSeconds())}.${micros(t)}`;
  return { at: t.getTime(), message: klog, line: `${stamp} ${node} kubelet[${process.pid}]: ${klog}` };
}

const quote = (s: string) => `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;

/** The kubelet unit's journal: its start, then the housekeeping sweep's roll-up error every 2 s while pods are orphaned. */
function journal(): { at: number; message: string; line: string }[] {
  const lines = [
    entry(started, 'I', 'server.go:1262', '"Started kubelet"'),
    entry(started, 'I', 'server.go:163', `"Starting to listen" address=${quote(address)} port=${port}`),
  ];
  const orphans = controls().orphanedPods?.[node] ?? [];
  const errors = orphans.flatMap((o) => o.volumes.map((vol) => {
    const { path, error } = volumeDir(o.uid, vol.plugin, vol.name);
    return { since: Date.parse(o.since), text: `orphaned pod ${quote(o.uid)} found, but failed to rmdir() volume at path ${path}: ${error}` };
  }));
  if (errors.length) {
    const first = Math.min(...errors.map((e) => e.since));
    const now = Date.now();
    // The last 30 sweeps are enough to show the pattern and keep the answer small.
    for (let t = Math.max(first, now - 60_000); t <= now; t += 2000) {
      const current = errors.filter((e) => e.since <= t);
      if (!current.length) continue;
      lines.push(entry(new Date(t), 'E', 'kubelet_volumes.go:263', `"There were many similar errors. Turn up verbosity to see them." err=${quote(current[0].text)} numErrs=${current.length}`));
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
