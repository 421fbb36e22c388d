// Carries out a plan, the only code that writes to the cluster (through the action table's writes). For each planned
// action: confirm (through the caller's ask), re-read the objects, re-judge the guards, abort on a change that
// matters since the plan, write with preconditions (uid + resourceVersion as re-read), record an Event, then wait
// for the symptom to clear, reporting progress through the caller's callback.
import type { KubeClient } from '../cluster/kube-client.js';
import { ApiError } from '../cluster/kube-client.js';
import { ClusterError, NotFoundError, UnreadableAnswerError } from '../errors.js';
import { readCluster, Target } from '../cluster/live-reader.js';
import type { Finding } from '../model/finding.js';
import type { ObjectRef, Snapshot } from '../model/snapshot.js';
import { Graph } from '../graph.js';
import { CORE_KINDS, TARGET_RESOURCES } from '../model/kinds.js';
import { describeRef } from '../util/refs.js';
import { terminalSafe } from '../util/terminal-safe.js';
import { formatDuration } from '../util/time.js';
import { onlyConfirmationMissing, taintReminder, unconfirmedNode, withoutReminder } from './plan.js';
import { ACTIONS, deletedForGood } from './actions.js';
import { recordEvent, type Precondition } from './writes.js';
import type { Action, PlanOptions, RemediationPlan } from './types.js';


export interface ApplyContext {
  client: KubeClient;
  options: Readonly<PlanOptions>;
  /** The graph and findings the plan was made from: preconditions come from here. */
  graph: Graph;
  findings: Finding[];
  serverDryRun: boolean;
  yes: boolean;
  timeoutMs: number;
  /** Where the plan was read from, to re-read the same scope while waiting for the symptom to clear. */
  scope: { namespace?: string; target?: Target };
  /** Prompts; absent when there is no terminal to ask on. Throws PromptClosedError when the operator closes it. */
  ask?: (question: string) => Promise<string>;
  log: (line: string) => void;
  /** What apply is waiting for, while it waits; undefined when the wait is over. */
  progress?: (text: string | undefined) => void;
  pollMs?: number;
  /** Set once the operator closed the prompt: every later action is declined without asking. */
  promptClosed?: boolean;
}

/** The operator closed the prompt (Ctrl+C, Ctrl+D, or stdin ended): a "no" to this action and to the rest. */
export class PromptClosedError extends Error {
  constructor() {
    super('the prompt was closed (Ctrl+C or Ctrl+D)');
  }
}

function targetOf(ref: ObjectRef): Target {
  const resource = TARGET_RESOURCES.find((r) => CORE_KINDS[r].kind === ref.kind);
  if (!resource) throw new Error(`no target for ${ref.kind}`);
  return { resource, name: ref.name, namespace: CORE_KINDS[resource].namespaced ? ref.namespace : undefined };
}

/** uid and resourceVersion of the action's target as read. */
function asRead(graph: Graph, ref: ObjectRef): Precondition | undefined {
  const o = ref.kind === 'Node' ? graph.node(ref.name)
    : ref.kind === 'Pod' ? graph.pod(ref.namespace ?? '', ref.name)
    : ref.kind === 'VolumeAttachment' ? graph.volumeAttachment(ref.name) : undefined;
  return o && { uid: o.uid, resourceVersion: o.resourceVersion };
}

/**
 * What changed since the plan that makes its write unsafe, or undefined. A node's status and taints change with
 * heartbeats and the node lifecycle controller; what the taint actions depend on (readiness, Lease, kubelet, the
 * out-of-service taint itself) is judged again by the guards on the re-read, and the write is computed from it.
 * So for a node only another object of the same name stops the write; a pod or attachment must be as planned.
 */
function changedSincePlan(ref: ObjectRef, pre: Precondition, now: Precondition): string | undefined {
  if (now.uid !== pre.uid) return `it is another object now (uid ${pre.uid} → ${now.uid})`;
  if (ref.kind === 'Node' || now.resourceVersion === pre.resourceVersion) return undefined;
  return `resourceVersion ${pre.resourceVersion} → ${now.resourceVersion}`;
}

async function reread(ctx: ApplyContext, target: Target): Promise<Snapshot> {
  return readCluster(ctx.client, { target, now: new Date().toISOString() });
}

async function waitForClear(ctx: ApplyContext, action: Action, finding: Finding | undefined): Promise<{ done: boolean; detail: string }> {
  const started = Date.now();
  ctx.progress?.(`Waiting for ${action.finding} to clear`);
  let last = { done: false, detail: '' };
  try {
    while (Date.now() - started < ctx.timeoutMs) {
      try {
        const snapshot = await readCluster(ctx.client, { namespace: ctx.scope.namespace, target: ctx.scope.target, now: new Date().toISOString(), askKubelets: false });
        last = ACTIONS[action.type].cleared(snapshot, finding, action.finding, ctx.options, !ctx.scope.target, ctx.graph);
      } catch (err) {
        // The target pod may be gone for a moment while its controller replaces it; a failed read is not a clear.
        if (!(err instanceof NotFoundError || err instanceof ClusterError || err instanceof UnreadableAnswerError)) throw err;
        const target = ctx.scope.target;
        const gone = err instanceof NotFoundError && target?.resource === 'pods' ? deletedForGood(ctx.graph, { kind: 'Pod', namespace: target.namespace, name: target.name }) : undefined;
        last = gone ? { done: true, detail: gone } : { done: false, detail: err.message };
      }
      if (last.done) return { done: true, detail: `${last.detail} (after ${formatDuration(Date.now() - started)})` };
      ctx.progress?.(`Waiting for ${action.finding} to clear: ${last.detail}`);
      await new Promise((r) => setTimeout(r, ctx.pollMs ?? 2000));
    }
    return { done: false, detail: `not cleared within --timeout ${formatDuration(ctx.timeoutMs)}: ${last.detail}` };
  } finally {
    ctx.progress?.(undefined);
  }
}

interface Decision {
  ok: boolean;
  /** For the Event: who vouched that the node is off, and how. */
  confirmedBy: string;
  message?: string;
  /** The node the operator typed at the prompt: it counts as confirmed when this action is re-judged. */
  confirmedNode?: string;
}

/** Asks for the action, and for the node's name where the guard wants a person to vouch it is off. Returns the confirmation text. */
async function confirm(ctx: ApplyContext, action: Action): Promise<Decision> {
  try {
    return await ask(ctx, action);
  } catch (err) {
    if (!(err instanceof PromptClosedError)) throw err;
    ctx.log('');
    ctx.promptClosed = true;
    return { ok: false, confirmedBy: '', message: `declined: ${err.message}; nothing written` };
  }
}

async function ask(ctx: ApplyContext, action: Action): Promise<Decision> {
  const unconfirmed = action.guards.find((g) => g.name === 'node-down-confirmed' && !g.ok);
  const node = unconfirmedNode(action);
  const byFlag = action.guards.some((g) => g.name === 'node-down-confirmed' && g.ok) ? 'Node confirmed powered off by the operator (--confirm-node-down).' : '';
  if (ctx.serverDryRun && !unconfirmed) return { ok: true, confirmedBy: byFlag };
  if (!ctx.ask) {
    if (unconfirmed) return { ok: false, confirmedBy: '', message: unconfirmed.detail };
    if (ctx.yes) return { ok: true, confirmedBy: byFlag };
    return { ok: false, confirmedBy: '', message: 'not applied: no terminal to ask on; pass --yes to apply without asking' };
  }
  ctx.log(`\n${action.type} ${terminalSafe(describeRef(action.target))}: ${terminalSafe(action.reason)}\n  by hand: ${terminalSafe(action.command)}`);
  if (unconfirmed && node) {
    const typed = await ctx.ask(`Is ${terminalSafe(node)} powered off? Check the machine or its console, then type its name to confirm: `);
    if (typed !== node) return { ok: false, confirmedBy: '', message: `not confirmed: "${typed}" is not ${node}` };
    return { ok: true, confirmedBy: `Node ${node} confirmed powered off by the operator at the prompt.`, confirmedNode: node };
  }
  if (ctx.yes) return { ok: true, confirmedBy: byFlag };
  const answer = (await ctx.ask('Apply? [y/N] ')).toLowerCase();
  return answer === 'y' || answer === 'yes' ? { ok: true, confirmedBy: byFlag } : { ok: false, confirmedBy: '', message: 'declined at the prompt' };
}

async function applyOne(ctx: ApplyContext, action: Action): Promise<Action> {
  if (action.status === 'refused' && !(ctx.ask && !ctx.promptClosed && onlyConfirmationMissing(action))) return action;
  if (ctx.promptClosed) return { ...action, status: 'declined', message: 'not asked: the prompt was closed; nothing written' };
  const decision = await confirm(ctx, action);
  if (!decision.ok) return { ...action, status: action.status === 'refused' ? 'refused' : 'declined', message: decision.message };

  const pre = asRead(ctx.graph, action.target);
  if (!pre) return { ...action, status: 'aborted', message: `${describeRef(action.target)} was not in the plan's snapshot` };
  // Re-read and re-judge just before writing; an object we could not re-read is never written to.
  let fresh: Graph;
  try {
    fresh = new Graph(await reread(ctx, targetOf(action.target)));
  } catch (err) {
    if (err instanceof NotFoundError) return { ...action, status: 'aborted', message: `aborted: ${describeRef(action.target)} no longer exists (${err.message}); nothing written` };
    if (err instanceof ClusterError || err instanceof UnreadableAnswerError || err instanceof ApiError) {
      return { ...action, status: 'aborted', message: `aborted: could not re-read ${describeRef(action.target)} before writing (${err.message}); nothing written` };
    }
    throw err;
  }
  const now = asRead(fresh, action.target);
  // A node confirmed at the prompt counts for this action only; the caller's options are left as they were.
  const options = decision.confirmedNode ? { ...ctx.options, confirmNodeDown: [...ctx.options.confirmNodeDown, decision.confirmedNode] } : ctx.options;
  const guards = ACTIONS[action.type].guards(action.target, fresh, options);
  const failed = guards.filter((g) => !g.ok);
  if (!now) return { ...action, guards, status: 'aborted', message: `aborted: ${describeRef(action.target)} no longer exists` };
  const changed = changedSincePlan(action.target, pre, now);
  if (changed) return { ...action, guards, status: 'aborted', message: `aborted: ${describeRef(action.target)} changed since the plan (${changed}); run fix again` };
  if (failed.length) return { ...action, guards, status: 'aborted', message: `aborted: ${failed.map((g) => g.detail).join('; ')}` };

  try {
    // Conditional on the object as just re-read: the write is computed from it (a node's taints), so any change since is refused.
    await ACTIONS[action.type].write(ctx.client, action.target, fresh, now, { serverDryRun: ctx.serverDryRun });
  } catch (err) {
    if (err instanceof ApiError) {
      const changed = err.status === 409 || (err.status === 422 && /test|precondition/i.test(err.message));
      return { ...action, guards, status: changed ? 'aborted' : 'failed', message: `${changed ? 'aborted: the object changed since the plan' : 'failed'}: ${err.message}` };
    }
    if (err instanceof ClusterError || err instanceof UnreadableAnswerError) {
      return { ...action, guards, status: 'failed', message: `failed: ${err.message}; the write may or may not have been applied: check ${describeRef(action.target)}` };
    }
    throw err;
  }
  if (ctx.serverDryRun) return { ...action, guards, status: 'applied', message: 'server dry run (dryRun=All): admission and RBAC accepted it; nothing was stored' };

  const notes: string[] = [];
  try {
    await recordEvent(ctx.client, action, pre.uid, decision.confirmedBy, { serverDryRun: ctx.serverDryRun });
  } catch (err) {
    notes.push(`could not record the Event: ${(err as Error).message}`);
  }
  // Said once on the terminal, as soon as the taint is on; the message keeps it for -o json.
  if (action.type === 'taint-out-of-service') {
    ctx.log(terminalSafe(taintReminder(action.target.name)));
    notes.push(taintReminder(action.target.name));
  }
  const finding = ctx.findings.find((f) => f.id === action.finding);
  const outcome = await waitForClear(ctx, action, finding);
  return {
    ...action,
    guards,
    status: outcome.done ? 'applied' : 'unresolved',
    message: [`applied; ${outcome.done ? `cleared: ${outcome.detail}` : outcome.detail}`, ...notes].join('. '),
  };
}

export async function applyPlan(plan: RemediationPlan, ctx: ApplyContext): Promise<RemediationPlan> {
  const actions: Action[] = [];
  for (const action of plan.actions) {
    const done = await applyOne(ctx, action);
    const progress = withoutReminder(done);
    ctx.log(`${done.status}: ${done.type} ${terminalSafe(describeRef(done.target))}${progress ? ` — ${terminalSafe(progress, 2000)}` : ''}`);
    actions.push(done);
  }
  return { ...plan, dryRun: ctx.serverDryRun, actions };
}

