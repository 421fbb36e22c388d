// Turns the shared flags into a Snapshot, from a dump or a live cluster. All reader I/O starts here.
import { startSpinner } from '../util/spinner.js';
import type { ObjectRef, Snapshot } from '../model/snapshot.js';
import { readDumps } from '../cluster/dump-reader.js';
import { KubeClient } from '../cluster/kube-client.js';
import { readCluster, Target } from '../cluster/live-reader.js';
import { CommonFlags, checkNow, parseTarget, requestTimeoutMs } from './options.js';
import { UsageError } from './errors.js';

export interface Loaded {
  snapshot: Snapshot;
  targetRef?: ObjectRef;
  target?: Target;
  /** Set for a live cluster; fix applies through it. */
  client?: KubeClient;
}

export function makeClient(flags: CommonFlags): Promise<KubeClient> {
  return KubeClient.load({
    kubeconfig: flags.kubeconfig,
    context: flags.context,
    requestTimeoutMs: requestTimeoutMs(flags.requestTimeout),
    warn: (line) => process.stderr.write(`warning: ${line}\n`),
  });
}

export async function loadSnapshot(flags: CommonFlags, args: string[]): Promise<Loaded> {
  const now = checkNow(flags.now);
  requestTimeoutMs(flags.requestTimeout);
  if (flags.allNamespaces && args.length && /^(po|pods?|pvcs?|persistentvolumeclaims?)\b/i.test(args[0])) {
    throw new UsageError('a pod or claim cannot be named across all namespaces: use -n NAMESPACE instead of -A');
  }
  if (flags.fromFile?.length) {
    const parsed = parseTarget(args, flags.namespace ?? 'default');
    const namespace = flags.allNamespaces || parsed ? undefined : flags.namespace;
    return { snapshot: readDumps(flags.fromFile, { namespace, now }), targetRef: parsed?.ref };
  }
  const client = await makeClient(flags);
  const parsed = parseTarget(args, flags.namespace ?? client.namespace);
  const namespace = flags.allNamespaces ? undefined : (flags.namespace ?? client.namespace);
  const spinner = startSpinner(`Reading ${client.contextName} (${client.server})`);
  try {
    const snapshot = await client.withDeadline(() => readCluster(client, { namespace, target: parsed?.target, now: now ?? new Date().toISOString() }));
    return { snapshot, targetRef: parsed?.ref, target: parsed?.target, client };
  } finally {
    spinner?.stop();
  }
}
