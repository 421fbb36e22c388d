// Reads `kubectl get ... -o json|yaml` output (a List or single objects, JSON or YAML, files, directories or stdin).
// A dump is untrusted input: only regular files (or stdin) up to a size cap are read, YAML alias bombs, cycles and
// deep nesting are refused, malformed objects are dropped and reported, and duplicates are read once.
import { closeSync, constants, fstatSync, openSync, readdirSync, readSync, statSync } from 'node:fs';
import type { Stats } from 'node:fs';
import { join } from 'node:path';
import yaml from 'js-yaml';
import type { IncompleteResource, Snapshot } from '../model/snapshot.js';
import { emptySnapshot, UNKNOWN_KIND_RESOURCE } from '../model/snapshot.js';
import { addRawObject } from './fold.js';
import { kindByKey, kindKey } from '../model/kinds.js';
import { NODE_LEASE_NAMESPACE } from '../model/kubernetes-names.js';
import { parseRfc3339 } from './shape.js';
import { UsageError } from '../errors.js';
import { parseVersion } from './version.js';

/* eslint-disable @typescript-eslint/no-explicit-any */
type Raw = any;

/** Bytes read per file and in total (stdin included). Below V8's longest string (2^29 - 24 characters). */
const MAX_DUMP_BYTES = 500 * 1024 * 1024;
/** Deepest nesting accepted; API objects stay far below it, and the walks here recurse. */
const MAX_DEPTH = 100;
/** Most values a document may expand to through YAML aliases beyond its distinct values. */
const MAX_ALIAS_EXPANSION = 1_000_000;
/** The path that means standard input, as kubectl's -f -. */
export const STDIN = '-';

const DUMP_EXTENSIONS = /\.(json|ya?ml)$/i;
const MiB = 1024 * 1024;
const mib = (bytes: number) => `${(bytes / MiB).toFixed(bytes < 10 * MiB ? 1 : 0)} MiB`;

function typeName(stat: Stats): string {
  if (stat.isFIFO()) return 'a named pipe';
  if (stat.isCharacterDevice()) return 'a character device';
  if (stat.isBlockDevice()) return 'a block device';
  if (stat.isSocket()) return 'a socket';
  return 'not a regular file';
}

function statOrThrow(path: string): Stats {
  try {
    return statSync(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new UsageError(`--from-file ${path}: ${code === 'ENOENT' ? 'no such file or directory' : code === 'EACCES' ? 'permission denied' : (err as Error).message}`);
  }
}

const notRegular = (path: string, stat: Stats) =>
  new UsageError(`--from-file ${path}: ${typeName(stat)}, not a regular file or directory: save the dump to a file first, or pipe it to --from-file -`);

/** Regular files named by the paths, directories expanded to their .json/.yaml/.yml files; `-` kept for stdin. */
function expandPaths(paths: string[]): string[] {
  const files: string[] = [];
  for (const path of paths) {
    if (path === STDIN) {
      files.push(STDIN);
      continue;
    }
    const stat = statOrThrow(path);
    if (stat.isDirectory()) {
      let names: string[];
      try {
        names = readdirSync(path);
      } catch (err) {
        throw new UsageError(`--from-file ${path}: ${(err as Error).message}`);
      }
      const inside = names.filter((f) => DUMP_EXTENSIONS.test(f)).sort().map((f) => join(path, f)).filter((f) => {
        const s = statOrThrow(f);
        if (s.isDirectory()) return false;
        if (!s.isFile()) throw notRegular(f, s);
        return true;
      });
      if (inside.length === 0) throw new UsageError(`--from-file ${path}: the directory has no .json, .yaml or .yml files`);
      files.push(...inside);
    } else if (stat.isFile()) {
      files.push(path);
    } else {
      throw notRegular(path, stat);
    }
  }
  return [...new Set(files)];
}

const tooBig = (what: string, size: string, total: boolean) =>
  new UsageError(`--from-file ${what}: ${total ? 'the dump files together are' : 'the dump is'} over ${mib(MAX_DUMP_BYTES)}${size ? ` (${size})` : ''}: dump fewer namespaces or resources`);

/** Reads a regular file, never more than `budget` bytes; the file is checked again once open (it may have been swapped). */
function readCapped(file: string, budget: number): Buffer {
  let fd: number;
  try {
    // O_NONBLOCK: opening a named pipe swapped in after the check must not wait for a writer.
    fd = openSync(file, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  } catch (err) {
    throw new UsageError(`--from-file ${file}: ${(err as NodeJS.ErrnoException).code === 'EACCES' ? 'permission denied' : (err as Error).message}`);
  }
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) throw notRegular(file, stat);
    if (stat.size > MAX_DUMP_BYTES) throw tooBig(file, mib(stat.size), false);
    if (stat.size > budget) throw tooBig(file, '', true);
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const chunk = Buffer.allocUnsafe(Math.min(4 * MiB, budget - total + 1));
      const n = readSync(fd, chunk, 0, chunk.length, null);
      if (n === 0) break;
      total += n;
      if (total > budget) throw tooBig(file, '', budget < MAX_DUMP_BYTES);
      chunks.push(chunk.subarray(0, n));
    }
    return Buffer.concat(chunks, total);
  } catch (err) {
    if (err instanceof UsageError) throw err;
    throw new UsageError(`--from-file ${file}: ${(err as Error).message}`);
  } finally {
    closeSync(fd);
  }
}

/** Reads a stream (standard input) up to `cap` bytes; over it, stops reading and refuses. */
export function readStreamCapped(stream: NodeJS.ReadableStream, cap = MAX_DUMP_BYTES): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let total = 0;
    const onData = (d: Buffer | string) => {
      const b = typeof d === 'string' ? Buffer.from(d) : d;
      total += b.length;
      if (total > cap) {
        cleanup();
        (stream as NodeJS.ReadableStream & { destroy?: () => void }).destroy?.();
        reject(new UsageError(`--from-file -: standard input is over ${mib(cap)}: dump fewer namespaces or resources`));
        return;
      }
      chunks.push(b);
    };
    const onEnd = () => { cleanup(); resolve(Buffer.concat(chunks, total).toString('utf8')); };
    const onError = (err: Error) => { cleanup(); reject(new UsageError(`--from-file -: cannot read standard input: ${err.message}`)); };
    const cleanup = () => {
      stream.removeListener('data', onData);
      stream.removeListener('end', onEnd);
      stream.removeListener('error', onError);
    };
    stream.on('data', onData);
    stream.on('end', onEnd);
    stream.on('error', onError);
    stream.resume();
  });
}

const tooDeep = (file: string) => new UsageError(`--from-file ${file}: nested deeper than ${MAX_DEPTH} levels; Kubernetes objects never are`);

/**
 * Refuses a parsed document that nests deeper than MAX_DEPTH, refers to itself (a YAML alias inside its own
 * anchor) or expands through aliases far beyond its size (an alias bomb). Iterative: it must not overflow itself.
 */
function checkStructure(file: string, doc: unknown): void {
  const size = new Map<object, number>();
  const onPath = new Set<object>();
  let distinct = 0;
  const stack: { value: object; depth: number; exit: boolean }[] = [];
  const push = (v: unknown, depth: number) => {
    if (v === null || typeof v !== 'object') return;
    if (depth > MAX_DEPTH) throw tooDeep(file);
    if (onPath.has(v)) throw new UsageError(`--from-file ${file}: a YAML alias refers to a value that contains it; Kubernetes objects never do`);
    if (size.has(v)) return;
    stack.push({ value: v, depth, exit: false });
  };
  push(doc, 1);
  while (stack.length) {
    const top = stack[stack.length - 1];
    const children: unknown[] = Array.isArray(top.value) ? top.value : Object.values(top.value);
    if (top.exit) {
      stack.pop();
      onPath.delete(top.value);
      let n = 1;
      for (const c of children) if (c !== null && typeof c === 'object') n += size.get(c) ?? 0;
      size.set(top.value, n);
      if (n > distinct + MAX_ALIAS_EXPANSION) {
        throw new UsageError(`--from-file ${file}: YAML aliases expand to more than ${MAX_ALIAS_EXPANSION} values (an alias bomb?); kubectl never writes aliases`);
      }
      continue;
    }
    if (size.has(top.value)) { stack.pop(); continue; } // reached twice before its first visit ended: shared, counted once
    top.exit = true;
    onPath.add(top.value);
    distinct++;
    for (const c of children) push(c, top.depth + 1);
  }
}

function parseDocuments(file: string, text: string): Raw[] {
  const trimmed = text.trimStart();
  if (trimmed === '') throw new UsageError(`--from-file ${file}: the file is empty`);
  let docs: Raw[] | undefined;
  let jsonError: Error | undefined;
  if (trimmed.startsWith('{') || trimmed.startsWith('[')) {
    try {
      const parsed = JSON.parse(text);
      docs = Array.isArray(parsed) ? parsed : [parsed];
    } catch (err) {
      jsonError = err as Error; // maybe YAML documents written as JSON, separated by ---
    }
  }
  if (!docs) {
    try {
      // CORE_SCHEMA keeps timestamps as strings, exactly as the API server wrote them.
      docs = yaml.loadAll(text, undefined, { schema: yaml.CORE_SCHEMA, maxDepth: MAX_DEPTH + 1 } as yaml.LoadOptions).filter((d) => d !== null && d !== undefined) as Raw[];
    } catch (err) {
      if (err instanceof RangeError || /nesting exceeded maxDepth/.test((err as Error).message)) throw tooDeep(file);
      if (jsonError) throw new UsageError(`--from-file ${file}: invalid JSON: ${jsonError.message}`);
      throw new UsageError(`--from-file ${file}: invalid YAML: ${(err as Error).message.split('\n')[0]}`);
    }
  }
  for (const d of docs) checkStructure(file, d);
  return docs;
}

// Every timestamp that says when the dump was taken. deletionTimestamp is left out: it lies in the future during a grace period.
const TIME_FIELDS = new Set(['creationTimestamp', 'lastHeartbeatTime', 'lastTransitionTime', 'renewTime', 'lastTimestamp', 'firstTimestamp', 'eventTime', 'time', 'lastProbeTime', 'startedAt', 'finishedAt', 'lastObservedTime', 'timeAdded']);

interface Stamp {
  ms: number;
  text: string;
  /** The object it is on, e.g. "node worker-1". */
  on: string;
}

function collectStamps(value: unknown, on: string, out: Stamp[], depth = 0): void {
  if (value === null || typeof value !== 'object' || depth > MAX_DEPTH) return;
  for (const [k, v] of Array.isArray(value) ? value.map((x, i) => [String(i), x] as const) : Object.entries(value)) {
    if (typeof v === 'string') {
      if (!TIME_FIELDS.has(k)) continue;
      const ms = parseRfc3339(v);
      if (ms !== undefined) out.push({ ms, text: v, on });
    } else {
      collectStamps(v, on, out, depth + 1);
    }
  }
}

/**
 * How far past the median heartbeat of the Ready nodes a heartbeat is believed. Kubelets renew their Lease every
 * 10s, so Ready nodes' Leases lie within seconds of each other: one a minute ahead has a wrong clock. Without Leases
 * only node status heartbeats are left, which lag by up to nodeStatusReportFrequency (5m); there the Lease guard
 * refuses every node-down action anyway.
 */
const LEASE_SPREAD_MS = 60_000;
const HEARTBEAT_SPREAD_MS = 15 * 60_000;
/** Timestamps this little after `now` are ordinary (an event written a moment after the last Lease renewal). */
const FUTURE_SLACK_MS = 60_000;

/** The lower median: of two heartbeats, the older. */
const lowerMedian = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor((values.length - 1) / 2)];

interface Clock {
  /** Node and Lease heartbeats of well-formed objects. */
  heartbeats: (Stamp & { readyNode: boolean; lease?: boolean })[];
  stamps: Stamp[];
}

/**
 * The moment to judge the dump at: the newest plausible heartbeat. A heartbeat more than HEARTBEAT_SPREAD_MS after
 * the median heartbeat of Ready nodes (of all nodes when none is Ready) comes from a wrong clock or a hand-edited
 * dump. Without heartbeats, the newest timestamp of any kind, and the basis says so.
 */
function chooseNow(clock: Clock, given: string | undefined, files: string[]): { now: number; basis: string; note?: string } {
  let now: number;
  let basis: string;
  if (given !== undefined) {
    now = Date.parse(given);
    basis = '--now';
  } else if (clock.heartbeats.length) {
    const ready = clock.heartbeats.filter((h) => h.readyNode);
    const readyLeases = ready.filter((h) => h.lease);
    const [reference, spread] = readyLeases.length
      ? [lowerMedian(readyLeases.map((h) => h.ms)), LEASE_SPREAD_MS]
      : [lowerMedian((ready.length ? ready : clock.heartbeats).map((h) => h.ms)), HEARTBEAT_SPREAD_MS];
    const best = clock.heartbeats.filter((h) => h.ms <= reference + spread).reduce((a, b) => (b.ms > a.ms ? b : a));
    now = best.ms;
    basis = `the newest heartbeat in the dump (${best.on} at ${best.text})`;
  } else if (clock.stamps.length) {
    const best = clock.stamps.reduce((a, b) => (b.ms > a.ms ? b : a));
    now = best.ms;
    basis = `the newest timestamp in the dump (${best.on} at ${best.text}), as it has no node heartbeat or Lease renewal: pass --now to judge at another moment`;
  } else {
    throw new UsageError(`--from-file ${files.join(', ')}: no timestamps in the dump to judge durations against; pass --now`);
  }
  const later = clock.stamps.filter((s) => s.ms > now + FUTURE_SLACK_MS);
  if (!later.length) return { now, basis };
  const latest = later.reduce((a, b) => (b.ms > a.ms ? b : a));
  const note = later.length === 1
    ? `1 timestamp in the dump is more than a minute later and was ignored: ${latest.text} (${latest.on})`
    : `${later.length} timestamps in the dump are more than a minute later and were ignored, the latest ${latest.text} (${latest.on})`;
  return { now, basis, note };
}

// ---- objects ------------------------------------------------------------------------------------

/** Where drops of objects are reported: their kind's resource, or UNKNOWN_KIND_RESOURCE when it cannot be told. */
const resourceOf = (key: string | undefined) => (key !== undefined && kindByKey(key)?.resource) || UNKNOWN_KIND_RESOURCE;

interface Entry {
  file: string;
  /** Where in the file, e.g. "items[3]" or "document 2". */
  at: string;
  kind: string;
  o: Raw;
}

interface Dropped {
  resource: string;
  file: string;
  reasons: string[];
}

/** "pod shop/web-0", or '' for an object without a name. */
function objectLabel(kind: string, o: Raw): string {
  const name = o?.metadata?.name;
  if (typeof name !== 'string' || name === '') return '';
  const ns = o.metadata.namespace;
  const label = `${kindByKey(kind)?.singular ?? kind.split('.')[0].toLowerCase()} ${typeof ns === 'string' && ns ? `${ns}/` : ''}${name}`;
  return label.length > 100 ? `${label.slice(0, 100)}…` : label;
}

/** kubectl's resourceVersion is an etcd revision: a decimal number; compares as one when both are. */
function newer(a: Raw, b: Raw): boolean {
  const ra = a?.metadata?.resourceVersion;
  const rb = b?.metadata?.resourceVersion;
  if (typeof ra === 'string' && typeof rb === 'string' && /^\d+$/.test(ra) && /^\d+$/.test(rb)) {
    return ra.length !== rb.length ? ra.length > rb.length : ra > rb;
  }
  const ca = parseRfc3339(a?.metadata?.creationTimestamp);
  const cb = parseRfc3339(b?.metadata?.creationTimestamp);
  if (ca !== undefined && cb !== undefined && ca !== cb) return ca > cb;
  return true; // no way to tell: the one given later wins, as when files are applied in order
}

/**
 * One object per kind/namespace/name: the same file given twice, or overlapping dumps, must not double a finding.
 * Of two versions (or incarnations, with different uids) the newer is kept: the higher resourceVersion, else the
 * later creationTimestamp, else the one given later.
 */
function dedupe(entries: Entry[]): Entry[] {
  const byKey = new Map<string, number>();
  const out: (Entry | undefined)[] = [];
  for (const e of entries) {
    const meta = e.o?.metadata;
    const name = meta?.name;
    if (typeof name !== 'string' || name === '') { out.push(e); continue; }
    const key = `${e.kind}\u0000${typeof meta.namespace === 'string' ? meta.namespace : ''}\u0000${name}`;
    const seen = byKey.get(key);
    if (seen === undefined) {
      byKey.set(key, out.length);
      out.push(e);
    } else if (newer(e.o, out[seen]!.o)) {
      out[seen] = undefined;
      byKey.set(key, out.length);
      out.push(e);
    }
  }
  return out.filter((e): e is Entry => e !== undefined);
}

function dropReason(dropped: Dropped[], resource: string, file: string, reason: string): void {
  let d = dropped.find((x) => x.resource === resource && x.file === file);
  if (!d) dropped.push((d = { resource, file, reasons: [] }));
  d.reasons.push(reason);
}

function describeDrops(d: Dropped): IncompleteResource {
  const shown = d.reasons.slice(0, 3).join('; ');
  const more = d.reasons.length > 3 ? `; and ${d.reasons.length - 3} more` : '';
  const what = d.reasons.length === 1 ? '1 object' : `${d.reasons.length} objects`;
  return { resource: d.resource, reason: `${what} dropped from ${d.file === STDIN ? 'standard input' : d.file} as malformed: ${shown}${more}` };
}

/** The objects of one document: a List's items, or the object itself. Items that are not objects are dropped. */
function entriesOf(file: string, at: string, doc: Raw, dropped: Dropped[], out: Entry[]): void {
  const itemKind = doc.kind.endsWith('List') && doc.kind !== 'List' ? doc.kind.slice(0, -4) : undefined;
  const listResource = resourceOf(itemKind && kindKey(itemKind, typeof doc.apiVersion === 'string' ? doc.apiVersion : undefined));
  if (!Array.isArray(doc.items) && doc.kind.endsWith('List')) {
    if (doc.items !== null && doc.items !== undefined) {
      dropReason(dropped, listResource, file, `${at}items is ${typeof doc.items === 'object' ? 'an object' : `a ${typeof doc.items}`}, not an array`);
    }
    return;
  }
  if (Array.isArray(doc.items)) {
    doc.items.forEach((item: Raw, i: number) => {
      const where = `${at}items[${i}]`;
      if (item === null || typeof item !== 'object' || Array.isArray(item)) {
        dropReason(dropped, listResource, file, `${where} is ${item === null ? 'null' : Array.isArray(item) ? 'an array' : `a ${typeof item}`}, not an object`);
        return;
      }
      const kind = item.kind ?? itemKind;
      if (typeof kind !== 'string' || kind === '') {
        dropReason(dropped, listResource, file, `${where} has no kind`);
        return;
      }
      const apiVersion = typeof item.apiVersion === 'string' ? item.apiVersion : typeof doc.apiVersion === 'string' ? doc.apiVersion : undefined;
      out.push({ file, at: where, kind: kindKey(kind, apiVersion), o: item });
    });
    return;
  }
  out.push({ file, at: at.trim() || 'the object', kind: kindKey(doc.kind, typeof doc.apiVersion === 'string' ? doc.apiVersion : undefined), o: doc });
}

export interface DumpReadOptions {
  /** Keep only pods, claims and events of this namespace; undefined keeps all. */
  namespace?: string;
  /** The moment to judge against; default: the newest plausible heartbeat in the dump. */
  now?: string;
  /** What standard input held, for the path `-` (the CLI reads it, capped, before calling). */
  stdin?: string;
}

export function readDumps(paths: string[], options: DumpReadOptions = {}): Snapshot {
  const files = expandPaths(paths);
  const snapshot = emptySnapshot(options.now ?? new Date(0).toISOString(), { type: 'file', files });
  snapshot.namespace = options.namespace;
  const dropped: Dropped[] = [];
  const entries: Entry[] = [];
  let budget = MAX_DUMP_BYTES;
  // Refuse before reading anything: reading hundreds of MiB only to refuse them takes long.
  let total = Buffer.byteLength(options.stdin ?? '');
  for (const f of files.filter((x) => x !== STDIN)) {
    const size = statOrThrow(f).size;
    if (size > MAX_DUMP_BYTES) throw tooBig(f, mib(size), false);
    total += size;
  }
  if (total > MAX_DUMP_BYTES) throw tooBig(files.join(', '), '', true);
  for (const file of files) {
    let text: string;
    if (file === STDIN) {
      text = options.stdin ?? '';
      budget -= Buffer.byteLength(text);
      if (budget < 0) throw tooBig(STDIN, '', true);
    } else {
      const bytes = readCapped(file, budget);
      budget -= bytes.length;
      text = bytes.toString('utf8');
    }
    const docs = parseDocuments(file, text);
    docs.forEach((doc, d) => {
      if (doc && typeof doc === 'object' && !Array.isArray(doc) && !doc.kind && doc.serverVersion && typeof doc.serverVersion === 'object') {
        // `kubectl version -o json` output.
        snapshot.serverVersion = parseVersion(doc.serverVersion);
        return;
      }
      if (!doc || typeof doc !== 'object' || Array.isArray(doc) || typeof doc.kind !== 'string' || doc.kind === '') {
        throw new UsageError(`--from-file ${file}: not a Kubernetes object or List (no "kind"); use kubectl get ... -o json or -o yaml`);
      }
      entriesOf(file, docs.length > 1 ? `document ${d + 1} ` : '', doc, dropped, entries);
    });
  }

  const clock: Clock = { heartbeats: [], stamps: [] };
  const readyNodes = new Set<string>();
  const beats: { stamp: Stamp; node?: string; lease?: boolean }[] = [];
  let objects = 0;
  for (const e of dedupe(entries)) {
    const ns = e.o.metadata?.namespace;
    if (options.namespace && typeof ns === 'string' && ns && e.kind !== 'Lease' && !e.kind.endsWith('.longhorn.io') && ns !== options.namespace) continue;
    const outcome = addRawObject(snapshot, e.kind, e.o);
    if (outcome === 'not-read') continue;
    if (outcome !== 'added') {
      dropReason(dropped, resourceOf(e.kind), e.file, `${e.at}${objectLabel(e.kind, e.o) ? ` (${objectLabel(e.kind, e.o)})` : ''}: ${outcome.malformed}`);
      continue;
    }
    objects++;
    const on = objectLabel(e.kind, e.o);
    collectStamps(e.o, on, clock.stamps);
    const name: string = e.o.metadata.name;
    if (e.kind === 'Node') {
      const conditions: Raw[] = Array.isArray(e.o.status?.conditions) ? e.o.status.conditions : [];
      if (conditions.some((c) => c?.type === 'Ready' && c.status === 'True')) readyNodes.add(name);
      for (const c of conditions) {
        const ms = parseRfc3339(c?.lastHeartbeatTime);
        if (ms !== undefined) beats.push({ stamp: { ms, text: c.lastHeartbeatTime, on }, node: name });
      }
    } else if (e.kind === 'Lease') {
      const ms = parseRfc3339(e.o.spec?.renewTime);
      // A node's Lease lives in kube-node-lease and is named after it; other Leases are controllers' heartbeats.
      if (ms !== undefined) beats.push({ stamp: { ms, text: e.o.spec.renewTime, on }, node: ns === NODE_LEASE_NAMESPACE ? name : undefined, lease: true });
    }
  }
  clock.heartbeats = beats.map((b) => ({ ...b.stamp, readyNode: b.node !== undefined && readyNodes.has(b.node), lease: b.lease }));

  snapshot.incomplete.push(...dropped.map(describeDrops));
  if (objects === 0) {
    const why = dropped.length ? `: nothing usable remains (${dropped.map((d) => describeDrops(d).reason).join('; ')})` : '';
    throw new UsageError(`--from-file ${files.map((f) => (f === STDIN ? 'standard input' : f)).join(', ')}: no objects volume-doctor reads (nodes, pods, persistentvolumeclaims, persistentvolumes, volumeattachments, events, ...)${why}`);
  }
  const chosen = chooseNow(clock, options.now, files);
  snapshot.now = new Date(chosen.now).toISOString();
  snapshot.nowBasis = chosen.basis;
  if (chosen.note) snapshot.nowNote = chosen.note;
  return snapshot;
}
