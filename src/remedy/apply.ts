// The only code that writes to the cluster. For each planned action: confirm, re-read the objects, re-judge the
// guards, write with preconditions (uid + resourceVersion from the plan), record an Event, then wait for the
// symptom to clear.
import { hostname } from 'node:os';
import { createInterface } from 'node:readline/promises';
import { startSpinner } from '../util/spinner.js';
import type { KubeClient } from '../cluster/kube-client.js';
import { ApiError } from '../cluster/kube-client.js';
import { ClusterError, NotFoundError, UnreadableAnswerError } from '../errors.js';
import { findCheck } from '../checks/index.js';
import { readCluster, Target } from '../cluster/live-reader.js';
import type { Finding } from '../model/finding.js';
import type { ObjectRef, Snapshot } from '../model/snapshot.js';
import { Graph, OUT_OF_SERVICE_TAINT } from '../graph.js';
import { diagnoseSnapshot } from '../engine.js';
import { describeRef } from '../util/refs.js';
import { terminalSafe } from '../util/terminal-safe.js';
import { formatDuration } from '../util/time.js';
import { guardsFor, onlyConfirmationMissing, OUT_OF_SERVICE_EFFECT, OUT_OF_SERVICE_VALUE, taintReminder, unconfirmedNode, withoutReminder } from './plan.js';
import type { Action, PlanOptions, RemediationPlan } from './types.js';

export const EVENT_REASON = 'VolumeDoctorRemediation';

export interface ApplyContext {
  client: KubeClient;
  options: PlanOptions;
  /** The graph and findings the plan was made from: preconditions come from here. */
  graph: Graph;
  findings: Finding[];
  serverDryRun: boolean;
  yes: boolean;
  timeoutMs: number;
  /** Where the plan was read from, to re-read the same scope while waiting for the symptom to clear. */
  scope: { namespace?: string; target?: Target };
  /** Prompts; absent when stdin or stderr is not a terminal. */
  ask?: (question: string) => Promise<string>;
  log: (line: string) => void;
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

/** Asks on `output`, reads the answer from `input`; rejects with PromptClosedError when the input is closed or interrupted. */
export function promptOn(input: NodeJS.ReadableStream, output: NodeJS.WritableStream): (q: string) => Promise<string> {
  return async (question: string) => {
    const rl = createInterface({ input, output });
    const closed = new Promise<never>((_, reject) => rl.once('close', () => reject(new PromptClosedError())));
    closed.catch(() => undefined);
    try {
      return (await Promise.race([rl.question(question), closed])).trim();
    } catch (err) {
      // readline rejects with AbortError on Ctrl+C and Ctrl+D.
      if (err instanceof PromptClosedError || (err as Error)?.name === 'AbortError') throw new PromptClosedError();
      throw err;
    } finally {
      rl.close();
    }
  };
}

/** Prompts on the terminal (stderr), or undefined when there is none. */
export function terminalPrompt(): ((q: string) => Promise<string>) | undefined {
  if (!process.stdin.isTTY || !process.stderr.isTTY) return undefined;
  return promptOn(process.stdin, process.stderr);
}

function targetOf(ref: ObjectRef): Target {
  switch (ref.kind) {
    case 'Node': return { resource: 'nodes', name: ref.name };
    case 'Pod': return { resource: 'pods', name: ref.name, namespace: ref.namespace };
    case 'VolumeAttachment': return { resource: 'volumeattachments', name: ref.name };
    default: throw new Error(`no target for ${ref.kind}`);
  }
}

/** uid and resourceVersion of the action's target as planned. */
function planned(graph: Graph, ref: ObjectRef): { uid: string; resourceVersion: string } | undefined {
  const o = ref.kind === 'Node' ? graph.node(ref.name)
    : ref.kind === 'Pod' ? graph.pod(ref.namespace ?? '', ref.name)
    : ref.kind === 'VolumeAttachment' ? graph.volumeAttachment(ref.name) : undefined;
  return o ? { uid: o.uid, resourceVersion: o.resourceVersion } : undefined;
}

async function reread(ctx: ApplyContext, target: Target): Promise<Snapshot> {
  return readCluster(ctx.client, { target, now: new Date().toISOString() });
}

const nodePath = (name: string) => `/api/v1/nodes/${encodeURIComponent(name)}`;

async function write(ctx: ApplyContext, action: Action, fresh: Graph, pre: { uid: string; resourceVersion: string }): Promise<void> {
  const query = ctx.serverDryRun ? { dryRun: 'All' } : undefined;
  const preconditions = { uid: pre.uid, resourceVersion: pre.resourceVersion };
  switch (action.type) {
    case 'taint-out-of-service':
    case 'remove-out-of-service-taint': {
      const node = fresh.node(action.target.name)!;
      const others = node.taints.filter((t) => t.key !== OUT_OF_SERVICE_TAINT).map(({ key, value, effect, timeAdded }) => ({ key, value, effect, timeAdded }));
      const taints = action.type === 'taint-out-of-service'
        ? [...others, { key: OUT_OF_SERVICE_TAINT, value: OUT_OF_SERVICE_VALUE, effect: OUT_OF_SERVICE_EFFECT }]
        : others;
      // The test op makes the patch conditional: a node changed since the plan rejects it.
      const patch = [
        { op: 'test', path: '/metadata/resourceVersion', value: pre.resourceVersion },
        { op: 'test', path: '/metadata/uid', value: pre.uid },
        { op: 'add', path: '/spec/taints', value: taints.map((t) => JSON.parse(JSON.stringify(t))) },
      ];
      await ctx.client.request(nodePath(action.target.name), { method: 'PATCH', query, body: patch, contentType: 'application/json-patch+json' });
      return;
    }
    case 'delete-volumeattachment':
      await ctx.client.request(`/apis/storage.k8s.io/v1/volumeattachments/${encodeURIComponent(action.target.name)}`, {
        method: 'DELETE', query, body: { apiVersion: 'v1', kind: 'DeleteOptions', preconditions },
      });
      return;
    case 'force-delete-pod':
      await ctx.client.request(`/api/v1/namespaces/${encodeURIComponent(action.target.namespace ?? '')}/pods/${encodeURIComponent(action.target.name)}`, {
        method: 'DELETE', query, body: { apiVersion: 'v1', kind: 'DeleteOptions', gracePeriodSeconds: 0, preconditions },
      });
      return;
  }
}

async function recordEvent(ctx: ApplyContext, action: Action, uid: string, confirmedBy: string): Promise<void> {
  const now = new Date().toISOString();
  const namespace = action.target.namespace ?? 'default';
  const apiVersion = action.target.kind === 'VolumeAttachment' ? 'storage.k8s.io/v1' : 'v1';
  await ctx.client.request(`/api/v1/namespaces/${encodeURIComponent(namespace)}/events`, {
    method: 'POST',
    query: ctx.serverDryRun ? { dryRun: 'All' } : undefined,
    body: {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { generateName: `${action.target.name}.volume-doctor.`, namespace },
      involvedObject: { apiVersion, kind: action.target.kind, name: action.target.name, namespace: action.target.namespace, uid },
      reason: EVENT_REASON,
      message: `volume-doctor ${action.type}: ${action.reason}. Finding: ${action.finding}. ${confirmedBy}`,
      type: 'Normal',
      source: { component: 'volume-doctor' },
      reportingComponent: 'volume-doctor',
      reportingInstance: hostname(),
      firstTimestamp: now,
      lastTimestamp: now,
      count: 1,
    },
  });
}

/** The symptom is gone when the finding no longer shows and the pods it blocked run. */
function cleared(snapshot: Snapshot, finding: Finding | undefined, actionFinding: string, options: PlanOptions): { done: boolean; detail: string } {
  // A finding missing from a snapshot that did not read what its check reads has not been shown to clear.
  const reads = (finding && findCheck(finding.check)?.reads) ?? [];
  const unread = snapshot.incomplete.filter((i) => reads.includes(i.resource));
  if (unread.length) return { done: false, detail: `could not read ${unread.map((i) => `${i.resource} (${i.reason})`).join(', ')}` };
  const { graph, findings } = diagnoseSnapshot(snapshot, undefined, { readyTrustMs: options.nodeReadyForMs });
  if (findings.some((f) => f.id === actionFinding)) return { done: false, detail: 'the finding still shows' };
  for (const ref of finding?.blocks ?? []) {
    const pod = graph.pod(ref.namespace ?? '', ref.name);
    if (!pod || pod.deletionTimestamp || pod.phase !== 'Running') return { done: false, detail: `waiting for pod ${ref.namespace}/${ref.name} to run` };
  }
  const running = (finding?.blocks ?? []).map((r) => graph.pod(r.namespace ?? '', r.name)!).map((p) => `pod ${p.namespace}/${p.name} runs on ${p.nodeName}`);
  return { done: true, detail: running.length ? running.join(', ') : 'the finding is gone' };
}

async function waitForClear(ctx: ApplyContext, action: Action, finding: Finding | undefined): Promise<{ done: boolean; detail: string }> {
  const started = Date.now();
  const spinner = startSpinner(`Waiting for ${action.finding} to clear`);
  let last = { done: false, detail: '' };
  try {
    while (Date.now() - started < ctx.timeoutMs) {
      try {
        const snapshot = await readCluster(ctx.client, { namespace: ctx.scope.namespace, target: ctx.scope.target, now: new Date().toISOString(), askKubelets: false });
        last = cleared(snapshot, finding, action.finding, ctx.options);
      } catch (err) {
        // The target pod may be gone for a moment while its controller replaces it; a failed read is not a clear.
        if (!(err instanceof NotFoundError || err instanceof ClusterError || err instanceof UnreadableAnswerError)) throw err;
        last = { done: false, detail: err.message };
      }
      if (last.done) return { done: true, detail: `${last.detail} (after ${formatDuration(Date.now() - started)})` };
      if (spinner) spinner.text = `Waiting for ${action.finding} to clear: ${last.detail}`;
      await new Promise((r) => setTimeout(r, ctx.pollMs ?? 2000));
    }
    return { done: false, detail: `not cleared within --timeout ${formatDuration(ctx.timeoutMs)}: ${last.detail}` };
  } finally {
    spinner?.stop();
  }
}

/** Asks for the action, and for the node's name where the guard wants a person to vouch it is off. Returns the confirmation text. */
async function confirm(ctx: ApplyContext, action: Action): Promise<{ ok: boolean; confirmedBy: string; message?: string }> {
  try {
    return await ask(ctx, action);
  } catch (err) {
    if (!(err instanceof PromptClosedError)) throw err;
    ctx.log('');
    ctx.promptClosed = true;
    return { ok: false, confirmedBy: '', message: `declined: ${err.message}; nothing written` };
  }
}

async function ask(ctx: ApplyContext, action: Action): Promise<{ ok: boolean; confirmedBy: string; message?: string }> {
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
    ctx.options.confirmNodeDown.push(node);
    return { ok: true, confirmedBy: `Node ${node} confirmed powered off by the operator at the prompt.` };
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

  const pre = planned(ctx.graph, action.target);
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
  const now = planned(fresh, action.target);
  const guards = guardsFor(action.type, action.target, fresh, ctx.options);
  const failed = guards.filter((g) => !g.ok);
  if (!now) return { ...action, guards, status: 'aborted', message: `aborted: ${describeRef(action.target)} no longer exists` };
  if (now.uid !== pre.uid || now.resourceVersion !== pre.resourceVersion) {
    return { ...action, guards, status: 'aborted', message: `aborted: ${describeRef(action.target)} changed since the plan (resourceVersion ${pre.resourceVersion} → ${now.resourceVersion}); run fix again` };
  }
  if (failed.length) return { ...action, guards, status: 'aborted', message: `aborted: ${failed.map((g) => g.detail).join('; ')}` };

  try {
    await write(ctx, action, fresh, pre);
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
    await recordEvent(ctx, action, pre.uid, decision.confirmedBy);
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

