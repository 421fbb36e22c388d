// Turns the shared flags into a Snapshot, from a dump or a live cluster. All reader I/O starts here.
import { startSpinner } from '../util/spinner.js';
import { terminalSafe } from '../util/terminal-safe.js';
import type { ObjectRef, Snapshot } from '../model/snapshot.js';
import { UNKNOWN_KIND_RESOURCE } from '../model/snapshot.js';
import { readDumps, readStreamCapped, STDIN } from '../cluster/dump-reader.js';
import { KubeClient } from '../cluster/kube-client.js';
import { readCluster, Target } from '../cluster/live-reader.js';
import { readKubeletViews } from '../cluster/kubelet-reader.js';
import { FOLDERS } from '../cluster/fold.js';
import { CORE_KINDS } from '../model/kinds.js';
import { nodesToAskKubelets } from '../engine.js';
import { CommonFlags, checkNow, namesNamespacedType, parseTarget, requestTimeoutMs } from './options.js';
import { NotFoundError, UsageError } from './errors.js';

export interface Loaded {
  snapshot: Snapshot;
  targetRef?: ObjectRef;
  target?: Target;
  /** Set for a live cluster; fix applies through it. */
  client?: KubeClient;
}

function makeClient(flags: CommonFlags): Promise<KubeClient> {
  return KubeClient.load({
    kubeconfig: flags.kubeconfig,
    context: flags.context,
    overrides: flags,
    verbosity: flags.v === undefined ? 0 : Number(flags.v),
    requestTimeoutMs: requestTimeoutMs(flags.requestTimeout),
    warn: (line) => process.stderr.write(`warning: ${line}\n`),
  });
}

export async function loadSnapshot(flags: CommonFlags, args: string[]): Promise<Loaded> {
  const now = checkNow(flags.now);
  requestTimeoutMs(flags.requestTimeout);
  if (flags.allNamespaces && args.length && namesNamespacedType(args[0])) {
    throw new UsageError('a pod or claim cannot be named across all namespaces: use -n NAMESPACE instead of -A');
  }
  if (flags.selector && args.length) throw new UsageError('-l/--selector selects pods across a namespace: it cannot be combined with a named object (as in kubectl: name cannot be provided when a selector is specified)');
  if (flags.fromFile?.length) {
    if (flags.selector) throw new UsageError('-l/--selector selects pods on the API server; a dump holds what was dumped: make it with kubectl get pods -l ... instead');
    const parsed = parseTarget(args, flags.namespace ?? 'default');
    const namespace = flags.allNamespaces || parsed ? undefined : flags.namespace;
    if (flags.fromFile.includes(STDIN) && process.stdin.isTTY) throw new UsageError('--from-file -: standard input is a terminal: pipe a dump into it, e.g. kubectl get pods -o json | kubectl volume-doctor diagnose --from-file -');
    const stdin = flags.fromFile.includes(STDIN) ? await readStreamCapped(process.stdin) : undefined;
    const snapshot = readDumps(flags.fromFile, { namespace, now, stdin });
    if (parsed) checkTargetInDump(snapshot, parsed.target);
    return { snapshot, targetRef: parsed?.ref };
  }
  const client = await makeClient(flags);
  const parsed = parseTarget(args, flags.namespace ?? client.namespace);
  const namespace = flags.allNamespaces ? undefined : (flags.namespace ?? client.namespace);
  // -v writes lines to stderr that a spinner would overwrite.
  const spinner = flags.v !== undefined && Number(flags.v) >= 6 ? undefined : startSpinner(terminalSafe(`Reading ${client.contextName} (${client.server})`, 300));
  try {
    const snapshot = await client.withDeadline(async () => {
      const read = await readCluster(client, { namespace, target: parsed?.target, now: now ?? new Date().toISOString(), podSelector: flags.selector });
      await readKubeletViews(client, read, nodesToAskKubelets(read, parsed?.ref));
      return read;
    });
    snapshot.nowBasis = now ? '--now' : 'the clock of this machine';
    return { snapshot, targetRef: parsed?.ref, target: parsed?.target, client };
  } finally {
    spinner?.stop();
  }
}

/**
 * A named object missing from a dump is an error, as it is live, but "not found" only when the dump holds that
 * kind (in that namespace) and none of it was dropped as malformed; otherwise the dump cannot say.
 */
export function checkTargetInDump(snapshot: Snapshot, target: Target): void {
  const what = target.resource;
  const facts = snapshot[FOLDERS[CORE_KINDS[what].kind].list] as { name: string; namespace?: string }[];
  if (facts.some((f) => f.name === target.name && (target.namespace === undefined || f.namespace === target.namespace))) return;
  if (snapshot.incomplete.some((i) => i.resource === what || i.resource === UNKNOWN_KIND_RESOURCE)) return;
  if (facts.length === 0) throw new UsageError(`the dump holds no ${what}: cannot look for ${what} "${target.name}"; add kubectl get ${what}${target.namespace ? ` -n ${target.namespace}` : ''} -o json to --from-file`);
  if (target.namespace !== undefined && !facts.some((f) => f.namespace === target.namespace)) {
    const namespaces = [...new Set(facts.map((f) => f.namespace))].sort();
    throw new UsageError(`the dump holds no ${what} in namespace "${target.namespace}" (only in ${namespaces.slice(0, 5).join(', ')}${namespaces.length > 5 ? ', ...' : ''}): cannot look for ${what} "${target.name}"; use -n NAMESPACE`);
  }
  throw NotFoundError.of(what, target.name, target.namespace);
}
