// Flags shared by diagnose and fix, named as kubectl names them, and their validation.
import { Command, Option } from 'commander';
import type { ObjectRef } from '../model/snapshot.js';
import type { Target } from '../cluster/live-reader.js';
import { CORE_KINDS, TARGET_RESOURCES, TARGET_TYPES, targetTypeNames, type KindInfo, type TargetResource } from '../model/kinds.js';
import { UsageError } from './errors.js';
import { invalidLabel, invalidSubdomain } from '../util/names.js';
import { formatDuration, parseDuration } from '../util/time.js';
import { READY_TRUST_MS } from '../checks/thresholds.js';
import { parseRfc3339 } from '../cluster/shape.js';
import { COLOR_MODES, type ColorMode } from '../report/style.js';
import type { ConnectionOverrides } from '../cluster/kubeconfig.js';
import { parseLabelSelector } from '../util/label-selector.js';

/** kubectl's connection flags: commander names them as the kubeconfig resolver takes them. */
type ConnectionFlags = ConnectionOverrides;

export interface CommonFlags extends ConnectionFlags {
  kubeconfig?: string;
  context?: string;
  selector?: string;
  v?: string;
  namespace?: string;
  allNamespaces?: boolean;
  output: string;
  requestTimeout: string;
  /** --color WHEN, or false from --no-color. */
  color: ColorMode | false;
  fromFile?: string[];
  now?: string;
}

export function addCommonOptions(cmd: Command, outputs: string[]): Command {
  return cmd
    .option('--kubeconfig <path>', 'path to the kubeconfig file to use')
    .option('--context <name>', 'the kubeconfig context to use')
    .option('-n, --namespace <namespace>', "namespace of pods and claims (default: the context's namespace; all namespaces for --from-file)", parseNamespace)
    .option('-A, --all-namespaces', 'look at pods and claims in every namespace')
    .addOption(new Option('-o, --output <format>', `output format: ${outputs.join('|')}`).default('table'))
    .option('--request-timeout <duration>', 'time for each API request to answer in full (0 = no limit), e.g. 10s, 1m; reading the cluster may take at most 10 times this', '30s')
    .addOption(new Option('--color <when>', 'colour the report: auto (on a terminal, unless NO_COLOR is set), always (also into a pipe, e.g. | less -R) or never').default('auto').argParser(parseColor))
    .option('--no-color', 'the same as --color never')
    .option('--from-file <path>', 'read a dump (kubectl get ... -o json|yaml, a List or objects; a file, a directory, or - for standard input) instead of a cluster; repeatable', (v: string, prev: string[] = []) => [...prev, v])
    .option('--now <RFC3339>', 'the moment to judge durations against (default: now for a cluster, the newest plausible node heartbeat or Lease renewal in a dump)')
    .option('-l, --selector <selector>', 'read only the pods matching this label selector (e.g. app=web,tier!=cache); pods outside it are not read, so nothing is concluded from a pod\'s absence', checkSelector)
    .option('-v, --v <level>', 'log each request to stderr as kubectl does: 6 method, URL, status and time; 7 request headers; 8 response headers and bodies', checkVerbosity)
    .option('--cluster <name>', 'the kubeconfig cluster to use')
    .option('--user <name>', 'the kubeconfig user to use')
    .option('-s, --server <url>', 'the address of the API server')
    .option('--token <token>', 'bearer token for authentication to the API server')
    .option('--certificate-authority <path>', 'path to a CA certificate file')
    .option('--client-certificate <path>', 'path to a client certificate file for TLS')
    .option('--client-key <path>', 'path to a client key file for TLS')
    .option('--insecure-skip-tls-verify', "do not check the server's certificate (insecure)")
    .option('--tls-server-name <name>', "server name to check the server's certificate against (default: the server's host)")
    .option('--as <user>', 'user to impersonate for the operation')
    .option('--as-group <group>', 'group to impersonate for the operation; repeatable', (v: string, prev: string[] = []) => [...prev, v])
    .option('--as-uid <uid>', 'UID to impersonate for the operation');
}

function checkSelector(value: string): string {
  const why = parseLabelSelector(value).error;
  if (why) throw new UsageError(`invalid -l/--selector "${value}": ${why}`);
  return value;
}

/** -v=N: kubectl's klog level, a non-negative integer. */
function checkVerbosity(value: string): string {
  if (!/^\d{1,3}$/.test(value)) throw new UsageError(`invalid -v "${value}": use a level such as 6 (requests), 7 (and their headers) or 8 (and bodies)`);
  return value;
}

function parseColor(value: string): ColorMode {
  if (!(COLOR_MODES as readonly string[]).includes(value)) throw new UsageError(`invalid --color "${value}": use auto, always or never`);
  return value as ColorMode;
}

/** -n/--namespace: an empty value means the context's namespace, as in kubectl. */
export function parseNamespace(value: string): string | undefined {
  if (value === '') return undefined;
  const why = invalidLabel(value);
  if (why) throw new UsageError(`invalid namespace "${value}": ${why}`);
  return value;
}

/** Short flags that take a value, and flags that do not, across every command of the program. */
export interface FlagSpec {
  valueShort: Set<string>;
  boolShort: Set<string>;
  valueLong: Set<string>;
  /** Long flags without a value, which pflag also takes as --flag=true|false. */
  boolLong: Set<string>;
}

export function flagSpec(program: Command): FlagSpec {
  const spec: FlagSpec = { valueShort: new Set(), boolShort: new Set(['h']), valueLong: new Set(), boolLong: new Set() };
  for (const cmd of [program, ...program.commands]) {
    for (const o of cmd.options) {
      const takesValue = o.required || o.optional;
      if (o.short) (takesValue ? spec.valueShort : spec.boolShort).add(o.short.slice(1));
      if (o.long) (takesValue ? spec.valueLong : spec.boolLong).add(o.long);
    }
  }
  return spec;
}

/**
 * Reads short flags as kubectl (pflag) does, where commander differs: `-n=shop` is the namespace shop, not
 * "=shop". `-nshop`, `-n shop` and `--namespace=shop` already mean the same to both. Values of flags are
 * passed through untouched, and nothing after `--` is changed.
 */
const PFLAG_TRUE = new Set(['1', 't', 'T', 'true', 'TRUE', 'True']);
const PFLAG_BOOLS = new Set([...PFLAG_TRUE, '0', 'f', 'F', 'false', 'FALSE', 'False']);

export function normalizeShortFlags(argv: string[], spec: FlagSpec): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') {
      out.push(...argv.slice(i));
      break;
    }
    const bool = /^(--[^=]+)=(.*)$/.exec(a);
    if (bool && spec.boolLong.has(bool[1]) && PFLAG_BOOLS.has(bool[2])) {
      // pflag takes --all-namespaces=true / =false; commander takes the bare flag only.
      if (PFLAG_TRUE.has(bool[2])) out.push(bool[1]);
      continue;
    }
    if (a.startsWith('--')) {
      out.push(a);
      if (!a.includes('=') && spec.valueLong.has(a) && i + 1 < argv.length) out.push(argv[++i]);
      continue;
    }
    if (!/^-./.test(a)) {
      out.push(a);
      continue;
    }
    let j = 1;
    while (j < a.length && spec.boolShort.has(a[j])) j++;
    if (j < a.length && spec.valueShort.has(a[j])) {
      const rest = a.slice(j + 1);
      if (rest === '') {
        out.push(a);
        if (i + 1 < argv.length) out.push(argv[++i]);
      } else {
        out.push(a.slice(0, j + 1), rest.startsWith('=') ? rest.slice(1) : rest);
      }
      continue;
    }
    out.push(a);
  }
  return out;
}

export function checkOutput(output: string, allowed: string[]): void {
  if (!allowed.includes(output)) throw new UsageError(`unknown output format "${output}": use one of ${allowed.join(', ')}`);
}

const MAX_TIMER_MS = 24 * 3_600_000;

export function requestTimeoutMs(text: string): number {
  const ms = parseDuration(text);
  if (ms === undefined) throw new UsageError(`invalid --request-timeout "${text}": use a duration like 30s, 1m or 0`);
  // Node's timers hold at most 2^31-1 ms (24.8 days); a longer one fires at once.
  if (ms > MAX_TIMER_MS) throw new UsageError(`invalid --request-timeout "${text}": at most 24h (or 0 for no limit)`);
  return ms;
}

export function checkNow(now: string | undefined): string | undefined {
  if (now === undefined) return undefined;
  // Stricter than Date.parse, which rolls 2026-02-30 over to March 2.
  const ms = parseRfc3339(now);
  if (ms === undefined) throw new UsageError(`invalid --now "${now}": use an RFC 3339 time that exists, e.g. 2026-01-02T15:04:05Z`);
  return new Date(ms).toISOString();
}

/** Each TYPE the command line takes (kubectl's spellings, lower-case) and the kind it names. */
const TYPE_NAMES = new Map<string, { resource: TargetResource; info: KindInfo }>(
  TARGET_RESOURCES.flatMap((resource) => targetTypeNames(resource).map((n) => [n, { resource, info: CORE_KINDS[resource] }] as const)),
);
const TYPE_LIST = TARGET_RESOURCES.map((r) => TARGET_TYPES[r].name);
/** The target argument's help: TYPE/NAME with the TYPEs the command line takes. */
export const TARGET_ARGUMENT_HELP = `TYPE/NAME (${TYPE_LIST.join(', ')}) to focus on`;

/** Whether an argument's first word (the TYPE of pod/web-0, or a bare TYPE) names a namespaced kind: pods or claims. */
export function namesNamespacedType(arg: string): boolean {
  return TYPE_NAMES.get(/^\w*/.exec(arg)![0].toLowerCase())?.info.namespaced === true;
}

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
    if (name.includes('/')) throw new UsageError(`"${args[0]}": arguments in resource/name form may not have more than one slash`);
  } else if (args.length === 2) {
    [type, name] = args;
    if (name.includes('/')) {
      throw new UsageError(`there is no need to specify a resource type as a separate argument when passing arguments in resource/name form (e.g. 'kubectl volume-doctor diagnose pod/web-0' instead of 'kubectl volume-doctor diagnose pod pod/web-0')`);
    }
  } else {
    throw new UsageError('give at most one object, as TYPE/NAME or TYPE NAME');
  }
  const known = TYPE_NAMES.get(type.toLowerCase());
  if (!known) throw new UsageError(`unsupported type "${type}": use ${TYPE_LIST.slice(0, -1).join(', ')} or ${TYPE_LIST.at(-1)}`);
  const { resource, info } = known;
  if (!name) throw new UsageError(`missing name after "${type}/"`);
  const why = invalidSubdomain(name);
  if (why) throw new UsageError(`invalid ${info.kind} name "${name}": ${why}`);
  return {
    target: { resource, name, namespace: info.namespaced ? namespace : undefined },
    ref: { kind: info.kind, name, namespace: info.namespaced ? namespace : undefined },
  };
}

export function parseFailOn(value: string): 'critical' | 'warning' | 'info' | 'none' {
  if (!['critical', 'warning', 'info', 'none'].includes(value)) throw new UsageError(`invalid --fail-on "${value}": use critical, warning, info or none`);
  return value as 'critical' | 'warning' | 'info' | 'none';
}

/** fix's and diagnose's shared threshold: what diagnose recommends about a node that is back, fix carries out. */
export function addNodeReadyForOption(cmd: Command): Command {
  return cmd.option('--node-ready-for <duration>', 'how long a node must be Ready again before its out-of-service taint is removed (diagnose and fix use the same)', formatDuration(READY_TRUST_MS));
}

export function nodeReadyForMs(text: string): number {
  return durationFlag('--node-ready-for', text);
}

/** A duration flag such as --timeout 5m, at most 24h (Node's timers cannot wait longer). */
export function durationFlag(flag: string, text: string): number {
  const ms = parseDuration(text);
  if (ms === undefined) throw new UsageError(`invalid ${flag} "${text}": use a duration like 5m`);
  if (ms > MAX_TIMER_MS) throw new UsageError(`invalid ${flag} "${text}": at most 24h`);
  return ms;
}
