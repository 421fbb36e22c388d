// Reads `kubectl get ... -o json|yaml` output (a List or single objects, JSON or YAML, files or directories).
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import yaml from 'js-yaml';
import type { Snapshot } from '../model/snapshot.js';
import { emptySnapshot } from '../model/snapshot.js';
import { addRawObject, kindKey } from './fold.js';
import { UsageError } from '../errors.js';
import { parseVersion } from './version.js';

/* eslint-disable @typescript-eslint/no-explicit-any */
type Raw = any;

const DUMP_EXTENSIONS = /\.(json|ya?ml)$/i;

function expandPaths(paths: string[]): string[] {
  const files: string[] = [];
  for (const path of paths) {
    let stat;
    try {
      stat = statSync(path);
    } catch (err) {
      throw new UsageError(`--from-file ${path}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or directory' : (err as Error).message}`);
    }
    if (stat.isDirectory()) {
      const inside = readdirSync(path).filter((f) => DUMP_EXTENSIONS.test(f)).sort().map((f) => join(path, f));
      if (inside.length === 0) throw new UsageError(`--from-file ${path}: the directory has no .json, .yaml or .yml files`);
      files.push(...inside);
    } else {
      files.push(path);
    }
  }
  return files;
}

function parseDocuments(file: string, text: string): Raw[] {
  const trimmed = text.trimStart();
  if (trimmed === '') throw new UsageError(`--from-file ${file}: the file is empty`);
  let jsonError: Error | undefined;
  if (trimmed.startsWith('{') || trimmed.startsWith('[')) {
    try {
      const parsed = JSON.parse(text);
      return Array.isArray(parsed) ? parsed : [parsed];
    } catch (err) {
      jsonError = err as Error; // maybe YAML documents written as JSON, separated by ---
    }
  }
  try {
    // CORE_SCHEMA keeps timestamps as strings, exactly as the API server wrote them.
    return yaml.loadAll(text, undefined, { schema: yaml.CORE_SCHEMA }).filter((d) => d !== null && d !== undefined) as Raw[];
  } catch (err) {
    if (jsonError) throw new UsageError(`--from-file ${file}: invalid JSON: ${jsonError.message}`);
    throw new UsageError(`--from-file ${file}: invalid YAML: ${(err as Error).message.split('\n')[0]}`);
  }
}

// Every timestamp that says when the dump was taken. deletionTimestamp is left out: it lies in the future during a grace period.
const TIME_FIELDS = new Set(['creationTimestamp', 'lastHeartbeatTime', 'lastTransitionTime', 'renewTime', 'lastTimestamp', 'firstTimestamp', 'eventTime', 'time', 'lastProbeTime', 'startedAt', 'finishedAt']);

function newestTimestamp(value: unknown, current: number): number {
  if (Array.isArray(value)) {
    for (const v of value) current = newestTimestamp(v, current);
  } else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      if (typeof v === 'string' && TIME_FIELDS.has(k)) {
        const ms = Date.parse(v);
        if (!Number.isNaN(ms) && ms > current) current = ms;
      } else if (typeof v === 'object') {
        current = newestTimestamp(v, current);
      }
    }
  }
  return current;
}

export interface DumpReadOptions {
  /** Keep only pods, claims and events of this namespace; undefined keeps all. */
  namespace?: string;
  /** The moment to judge against; default: the newest timestamp in the dump. */
  now?: string;
}

export function readDumps(paths: string[], options: DumpReadOptions = {}): Snapshot {
  const files = expandPaths(paths);
  const snapshot = emptySnapshot(options.now ?? new Date(0).toISOString(), { type: 'file', files });
  snapshot.namespace = options.namespace;
  let newest = 0;
  let objects = 0;
  const add = (file: string, kind: string | undefined, o: Raw) => {
    if (!kind) return;
    const ns = o.metadata?.namespace;
    if (options.namespace && ns && kind !== 'Lease' && !kind.endsWith('.longhorn.io') && ns !== options.namespace) return;
    if (addRawObject(snapshot, kind, o) === 'added') objects++;
    newest = newestTimestamp(o, newest);
  };
  for (const file of files) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      throw new UsageError(`--from-file ${file}: ${(err as Error).message}`);
    }
    for (const doc of parseDocuments(file, text)) {
      if (doc && typeof doc === 'object' && !doc.kind && doc.serverVersion) {
        // `kubectl version -o json` output.
        snapshot.serverVersion = parseVersion(doc.serverVersion);
        continue;
      }
      if (!doc || typeof doc !== 'object' || typeof doc.kind !== 'string') {
        throw new UsageError(`--from-file ${file}: not a Kubernetes object or List (no "kind"); use kubectl get ... -o json or -o yaml`);
      }
      if (Array.isArray(doc.items)) {
        const itemKind = doc.kind.endsWith('List') && doc.kind !== 'List' ? doc.kind.slice(0, -4) : undefined;
        for (const item of doc.items) add(file, kindKey(item?.kind ?? itemKind, item?.apiVersion ?? doc.apiVersion), item);
      } else {
        add(file, kindKey(doc.kind, doc.apiVersion), doc);
      }
    }
  }
  if (objects === 0) {
    throw new UsageError(`--from-file ${files.join(', ')}: no objects volume-doctor reads (nodes, pods, persistentvolumeclaims, persistentvolumes, volumeattachments, events, ...)`);
  }
  if (!options.now) {
    if (newest === 0) throw new UsageError(`--from-file ${files.join(', ')}: no timestamps in the dump to judge durations against; pass --now`);
    snapshot.now = new Date(newest).toISOString();
  }
  return snapshot;
}
