import { spawnSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { inject } from 'vitest';
import { findCluster, ClusterState } from '../../hack/cluster/state.js';
import { runScenario, ScenarioResult } from '../../hack/cluster/scenarios.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export function cluster(): ClusterState {
  return findCluster(inject('clusterDir'));
}

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the plugin through the real kubectl, as a user would: bin/ on PATH, KUBECONFIG set, no TTY. */
export function plugin(args: string[], extraEnv: Record<string, string> = {}): Run {
  const state = cluster();
  const r = spawnSync('kubectl', ['volume-doctor', ...args], {
    encoding: 'utf8',
    env: { ...process.env, PATH: `${join(ROOT, 'bin')}:${process.env.PATH}`, KUBECONFIG: state.kubeconfig, ...extraEnv },
    timeout: 5 * 60_000,
    killSignal: 'SIGKILL',
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

export function kubectlJson<T = any>(args: string[]): T {
  const r = spawnSync('kubectl', ['--request-timeout=30s', ...args, '-o', 'json'], { encoding: 'utf8', env: { ...process.env, KUBECONFIG: cluster().kubeconfig }, timeout: 60_000, killSignal: 'SIGKILL' });
  if (r.status !== 0) throw new Error(`kubectl ${args.join(' ')}: ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}

export interface Finding {
  id: string;
  check: string;
  severity: string;
  subject: { kind: string; namespace?: string; name: string };
  related: { kind: string; namespace?: string; name: string }[];
  summary: string;
  evidence: string[];
  remedies: string[];
}

export function diagnose(args: string[] = ['-A']): { code: number; doc: { findings: Finding[]; incomplete: { resource: string; reason: string }[]; summary: Record<string, number> }; stderr: string } {
  const r = plugin(['diagnose', ...args, '-o', 'json']);
  if (!r.stdout.trim()) throw new Error(`diagnose printed nothing (exit ${r.code}): ${r.stderr}`);
  return { code: r.code, doc: JSON.parse(r.stdout), stderr: r.stderr };
}

/** Polls diagnose until `accept` holds (states need their grace periods to pass). */
export async function diagnoseUntil(args: string[], accept: (findings: Finding[]) => boolean, timeoutMs = 150_000): Promise<ReturnType<typeof diagnose>> {
  const deadline = Date.now() + timeoutMs;
  let last = diagnose(args);
  while (!accept(last.doc.findings)) {
    if (Date.now() > deadline) throw new Error(`diagnose ${args.join(' ')} never showed the expected findings; last: ${JSON.stringify(last.doc.findings.map((f) => [f.check, f.summary]), null, 1)}`);
    await new Promise((r) => setTimeout(r, 5000));
    last = diagnose(args);
  }
  return last;
}

/** Audit log lines written after `offset` (bytes). */
export function auditSince(offset: number): any[] {
  const text = readFileSync(join(cluster().dir, 'audit.log')).subarray(offset).toString('utf8');
  return text.split('\n').filter(Boolean).map((l) => JSON.parse(l));
}

export function auditSize(): number {
  return statSync(join(cluster().dir, 'audit.log')).size;
}

/** An RFC 3339 moment `plusMs` after `from`, for diagnose --now: judging a state later instead of waiting for it. */
export function later(from: string | number | Date, plusMs: number): string {
  return new Date(new Date(from).getTime() + plusMs).toISOString().replace(/\.\d+Z$/, 'Z');
}

/** What a person would look at when a story does not go as expected: pods, nodes, VolumeAttachments, recent events. */
export function clusterReport(namespace: string): string {
  const get = (args: string[]) => {
    try {
      return kubectlJson<{ items: any[] }>(args).items;
    } catch (err) {
      return [{ error: (err as Error).message }];
    }
  };
  const lines = [`pods in ${namespace}:`];
  for (const p of get(['get', 'pods', '-n', namespace])) {
    if (p.error) { lines.push(`  ${p.error}`); continue; }
    const waiting = p.status?.containerStatuses?.map((c: any) => c.state?.waiting?.reason).filter(Boolean).join(',');
    const scheduled = p.status?.conditions?.find((c: any) => c.type === 'PodScheduled');
    lines.push(`  ${p.metadata.name} ${p.status?.phase}${waiting ? `/${waiting}` : ''} on ${p.spec.nodeName ?? '(none)'}${p.metadata.deletionTimestamp ? `, deleting since ${p.metadata.deletionTimestamp}` : ''}${scheduled?.status === 'False' ? `, unschedulable: ${scheduled.message}` : ''}`);
  }
  lines.push('nodes:');
  for (const n of get(['get', 'nodes'])) {
    if (n.error) { lines.push(`  ${n.error}`); continue; }
    const ready = n.status?.conditions?.find((c: any) => c.type === 'Ready');
    lines.push(`  ${n.metadata.name} Ready=${ready?.status} since ${ready?.lastTransitionTime}${n.spec.unschedulable ? ', cordoned' : ''}, taints [${(n.spec.taints ?? []).map((t: any) => `${t.key}:${t.effect}`).join(', ')}], attached [${(n.status?.volumesAttached ?? []).map((v: any) => v.name.replace(/^.*\^/, '')).join(', ')}], in use [${(n.status?.volumesInUse ?? []).map((v: string) => v.replace(/^.*\^/, '')).join(', ')}]`);
  }
  lines.push('volumeattachments:');
  for (const v of get(['get', 'volumeattachments'])) {
    if (v.error) { lines.push(`  ${v.error}`); continue; }
    lines.push(`  ${v.spec.source?.persistentVolumeName} on ${v.spec.nodeName}: attached=${v.status?.attached ?? false}${v.metadata.deletionTimestamp ? `, deleting since ${v.metadata.deletionTimestamp}` : ''}${v.status?.attachError ? `, attachError: ${v.status.attachError.message}` : ''}${v.status?.detachError ? `, detachError: ${v.status.detachError.message}` : ''}`);
  }
  lines.push(`newest events in ${namespace}:`);
  const events = get(['get', 'events', '-n', namespace]).filter((e) => !e.error)
    .sort((a, b) => String(a.lastTimestamp ?? a.eventTime ?? '').localeCompare(String(b.lastTimestamp ?? b.eventTime ?? '')));
  for (const e of events.slice(-10)) lines.push(`  ${e.lastTimestamp ?? e.eventTime} ${e.type} ${e.reason} ${e.involvedObject?.name}: ${e.message}`);
  return lines.join('\n');
}

/**
 * Runs the plugin through kubectl on a pseudo-terminal (util-linux `script`), typing `answer` when `prompt`
 * appears, as an operator at the keyboard would. Killed after `timeoutMs` (then `killed` is true).
 */
export async function pluginAtTerminal(args: string[], prompt: RegExp, answer: string, timeoutMs = 5 * 60_000): Promise<{ code: number; output: string; killed: boolean }> {
  const { spawn } = await import('node:child_process');
  const state = cluster();
  const command = ['kubectl', 'volume-doctor', ...args].map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(' ');
  const child = spawn('script', ['-qec', command, '/dev/null'], {
    env: { ...process.env, PATH: `${join(ROOT, 'bin')}:${process.env.PATH}`, KUBECONFIG: state.kubeconfig, NO_COLOR: '1' },
  });
  let output = '';
  let answered = false;
  let killed = false;
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (!answered && prompt.test(output)) {
        answered = true;
        child.stdin.write(`${answer}\r`);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, output, killed }));
    setTimeout(() => { killed = true; child.kill('SIGKILL'); }, timeoutMs).unref();
  });
}

/** `kubectl get --raw PATH` (e.g. a node proxy path): what the API server answered, failures included. */
export function kubectlRaw(path: string): Run {
  const r = spawnSync('kubectl', ['--request-timeout=30s', 'get', '--raw', path], { encoding: 'utf8', env: { ...process.env, KUBECONFIG: cluster().kubeconfig }, timeout: 60_000, killSignal: 'SIGKILL' });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** Builds a story; when the cluster does not get there, the error shows what it looks like instead. */
export async function buildStory(name: string, namespace: string, state = cluster()): Promise<ScenarioResult> {
  try {
    return await runScenario(state, name);
  } catch (err) {
    throw new Error(`${(err as Error).message}\n${clusterReport(namespace)}`, { cause: err });
  }
}
