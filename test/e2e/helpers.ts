import { spawnSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { inject } from 'vitest';
import { findCluster, ClusterState } from '../../hack/cluster/state.js';

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

/**
 * Runs the plugin through kubectl on a pseudo-terminal (util-linux `script`), typing `answer` when `prompt`
 * appears, as an operator at the keyboard would.
 */
export async function pluginAtTerminal(args: string[], prompt: RegExp, answer: string): Promise<{ code: number; output: string }> {
  const { spawn } = await import('node:child_process');
  const state = cluster();
  const command = ['kubectl', 'volume-doctor', ...args].map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(' ');
  const child = spawn('script', ['-qec', command, '/dev/null'], {
    env: { ...process.env, PATH: `${join(ROOT, 'bin')}:${process.env.PATH}`, KUBECONFIG: state.kubeconfig, NO_COLOR: '1' },
  });
  let output = '';
  let answered = false;
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
    child.on('close', (code) => resolve({ code: code ?? -1, output }));
    setTimeout(() => child.kill('SIGKILL'), 5 * 60_000).unref();
  });
}
