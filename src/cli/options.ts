// Flags shared by diagnose and fix, named as kubectl names them, and their validation.
import { Command, Option } from 'commander';
import type { ObjectRef } from '../model/snapshot.js';
import type { Target, TargetResource } from '../cluster/live-reader.js';
import { UsageError } from './errors.js';
import { parseDuration } from '../util/time.js';
import { parseRfc3339 } from '../cluster/shape.js';

export interface CommonFlags {
  kubeconfig?: string;
  context?: string;
  namespace?: string;
  allNamespaces?: boolean;
  output: string;
  requestTimeout: string;
  color: boolean;
  fromFile?: string[];
  now?: string;
}

export function addCommonOptions(cmd: Command, outputs: string[]): Command {
  return cmd
    .option('--kubeconfig <path>', 'path to the kubeconfig file to use')
    .option('--context <name>', 'the kubeconfig context to use')
    .option('-n, --namespace <namespace>', "namespace of pods and claims (default: the context's namespace; all namespaces for --from-file)")
    .option('-A, --all-namespaces', 'look at pods and claims in every namespace')
    .addOption(new Option('-o, --output <format>', `output format: ${outputs.join('|')}`).default('table'))
    .option('--request-timeout <duration>', 'time to wait for each API request (0 = no limit), e.g. 10s, 1m', '30s')
    .option('--no-color', 'disable colour (also off when NO_COLOR is set or output is not a terminal)')
    .option('--from-file <path>', 'read a dump (kubectl get ... -o json|yaml, a List or objects; a file or a directory) instead of a cluster; repeatable', (v: string, prev: string[] = []) => [...prev, v])
    .option('--now <RFC3339>', 'the moment to judge durations against (default: now for a cluster, the newest timestamp in a dump)');
}

export function checkOutput(output: string, allowed: string[]): void {
  if (!allowed.includes(output)) throw new UsageError(`unknown output format "${output}": use one of ${allowed.join(', ')}`);
}

export function requestTimeoutMs(text: string): number {
  const ms = parseDuration(text);
  if (ms === undefined) throw new UsageError(`invalid --request-timeout "${text}": use a duration like 30s, 1m or 0`);
  return ms;
}

export function checkNow(now: string | undefined): string | undefined {
  if (now === undefined) return undefined;
  // Stricter than Date.parse, which rolls 2026-02-30 over to March 2.
  const ms = parseRfc3339(now);
  if (ms === undefined) throw new UsageError(`invalid --now "${now}": use an RFC 3339 time that exists, e.g. 2026-01-02T15:04:05Z`);
  return new Date(ms).toISOString();
}

const TARGET_TYPES: Record<string, { resource: TargetResource; kind: string; namespaced: boolean }> = {};
const register = (resource: TargetResource, kind: string, namespaced: boolean, names: string[]) => {
  for (const n of names) TARGET_TYPES[n] = { resource, kind, namespaced };
};
register('pods', 'Pod', true, ['pod', 'pods', 'po']);
register('persistentvolumeclaims', 'PersistentVolumeClaim', true, ['pvc', 'pvcs', 'persistentvolumeclaim', 'persistentvolumeclaims']);
register('persistentvolumes', 'PersistentVolume', false, ['pv', 'pvs', 'persistentvolume', 'persistentvolumes']);
register('nodes', 'Node', false, ['node', 'nodes', 'no']);
register('volumeattachments', 'VolumeAttachment', false, ['volumeattachment', 'volumeattachments', 'volumeattachment.storage.k8s.io', 'volumeattachments.storage.k8s.io']);

export interface ParsedTarget {
  target: Target;
  ref: ObjectRef;
}

/** Accepts TYPE/NAME or TYPE NAME, with kubectl's short names and plurals. */
export function parseTarget(args: string[], namespace: string): ParsedTarget | undefined {
  if (args.length === 0) return undefined;
  let type: string;
  let name: string | undefined;
  if (args.length === 1) {
    const slash = args[0].indexOf('/');
    if (slash < 0) throw new UsageError(`"${args[0]}" is not TYPE/NAME: name the object, e.g. pod/web-0, pvc/data-web-0, node/worker-1`);
    type = args[0].slice(0, slash);
    name = args[0].slice(slash + 1);
  } else if (args.length === 2) {
    [type, name] = args;
  } else {
    throw new UsageError('give at most one object, as TYPE/NAME or TYPE NAME');
  }
  const info = TARGET_TYPES[type.toLowerCase()];
  if (!info) throw new UsageError(`unsupported type "${type}": use pod, pvc, pv, node or volumeattachment`);
  if (!name) throw new UsageError(`missing name after "${type}/"`);
  return {
    target: { resource: info.resource, name, namespace: info.namespaced ? namespace : undefined },
    ref: { kind: info.kind, name, namespace: info.namespaced ? namespace : undefined },
  };
}

export function parseFailOn(value: string): 'critical' | 'warning' | 'info' | 'none' {
  if (!['critical', 'warning', 'info', 'none'].includes(value)) throw new UsageError(`invalid --fail-on "${value}": use critical, warning, info or none`);
  return value as 'critical' | 'warning' | 'info' | 'none';
}
