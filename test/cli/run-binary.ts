import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const BIN = `${ROOT}bin/kubectl-volume_doctor`;
export const EXAMPLE = `${ROOT}examples/stuck-cluster.json`;

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the built plugin as kubectl would, without a TTY. */
export function runBinary(args: string[], env: Record<string, string> = {}): Run {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '', ...env }, cwd: ROOT });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/**
 * Runs the built plugin without blocking this process, so a server started by the test can answer it.
 * `timeoutMs` kills a hung run (exit code -1 then, and `timedOut` set).
 */
export function runBinaryAsync(args: string[], env: Record<string, string> = {}, options: { timeoutMs?: number; input?: string } = {}): Promise<Run & { timedOut: boolean }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, NO_COLOR: '', ...env }, cwd: ROOT });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    const timer = setTimeout(() => { timedOut = true; child.kill('SIGKILL'); }, options.timeoutMs ?? 30_000);
    child.stdin.end(options.input ?? '');
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr, timedOut });
    });
  });
}

/**
 * The report with its word wrap undone: each line break and the indentation after it read as one space, and a
 * command broken with a shell's " \" read whole, as a shell reads it.
 */
export function unwrapped(text: string): string {
  return text.replace(/ \\\n[ │]*/g, ' ').replace(/ *\n[ │]*/g, ' ');
}
