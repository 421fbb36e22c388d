// Starting and stopping exactly the processes a cluster owns, by PID.
import { spawn } from 'node:child_process';
import { existsSync, openSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ProcessRecord } from './state.js';

/** The checkout: the nearest directory above this file (source or dist) with a package.json. */
export function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) dir = dirname(dir);
  return dir;
}

export function startDetached(name: string, binary: string, args: string[], log: string, env: NodeJS.ProcessEnv = process.env): ProcessRecord {
  const out = openSync(log, 'a');
  const child = spawn(binary, args, { detached: true, stdio: ['ignore', out, out], env });
  if (!child.pid) throw new Error(`could not start ${name} (${binary})`);
  child.unref();
  return { name, pid: child.pid, binary, log };
}

/** True when the PID is alive and still runs the binary we started (PIDs get reused). */
export function isOurs(p: ProcessRecord): boolean {
  try {
    const argv0 = readFileSync(`/proc/${p.pid}/cmdline`, 'utf8').split('\0')[0];
    return argv0 === p.binary;
  } catch {
    return false;
  }
}

export async function stopProcess(p: ProcessRecord, graceMs = 5000): Promise<void> {
  if (!isOurs(p)) return;
  process.kill(p.pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    if (!isOurs(p)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  if (isOurs(p)) process.kill(p.pid, 'SIGKILL');
  while (isOurs(p)) await new Promise((r) => setTimeout(r, 50));
}
