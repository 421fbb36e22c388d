import { spawnSync } from 'node:child_process';
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
