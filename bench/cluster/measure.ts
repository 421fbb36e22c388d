// One measured child process: wall time, peak RSS (of it and its descendants) and the API requests it made,
// counted from the API server's audit log.
import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { BenchApi } from './api.js';

export interface Sample {
  wallMs: number;
  /** Peak resident set size in bytes. */
  rssBytes: number;
  /** User + system CPU time (less sensitive than wall time to a busy machine); undefined without GNU time. */
  cpuMs?: number;
  exitCode: number;
  /** API requests the child made, and by "verb resource" (e.g. "list pods"). */
  requests: number;
  byRequest: Record<string, number>;
  /** The user agents seen in its requests. */
  userAgents: string[];
}

const TIME = '/usr/bin/time';

/**
 * Runs `argv` with stdout into `stdoutFile`; GNU time when present (ru_maxrss and CPU times of the waited-for
 * process tree, so kubectl's dispatcher and the kubectl it starts count as one), else /proc polling for the RSS.
 */
export async function runMeasured(argv: string[], env: NodeJS.ProcessEnv, stdoutFile: string, rssFile: string): Promise<Omit<Sample, 'requests' | 'byRequest' | 'userAgents'> & { stderr: string }> {
  const useTime = existsSync(TIME);
  const [cmd, ...args] = useTime ? [TIME, '-f', '%M %U %S', '-o', rssFile, ...argv] : argv;
  const out = openSync(stdoutFile, 'w');
  const started = process.hrtime.bigint();
  const child = spawn(cmd, args, { env, stdio: ['ignore', out, 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => { if (stderr.length < 20_000) stderr += c.toString('utf8'); });
  let polled = 0;
  const poll = useTime ? undefined : setInterval(() => { polled = Math.max(polled, treeHwmBytes(child.pid!)); }, 10);
  const exitCode = await new Promise<number>((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 128 : 1)));
  });
  const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
  if (poll) clearInterval(poll);
  closeSync(out);
  if (!useTime) return { wallMs, rssBytes: polled, exitCode, stderr };
  // GNU time writes "Command exited with non-zero status N" before its format line.
  const [kb, user, sys] = readFileSync(rssFile, 'utf8').trim().split('\n').at(-1)!.split(' ').map(Number);
  return { wallMs, rssBytes: kb * 1024, cpuMs: (user + sys) * 1000, exitCode, stderr };
}

/** VmHWM of a process and its descendants, the largest of them (as ru_maxrss reports it). */
function treeHwmBytes(pid: number): number {
  let max = 0;
  try {
    const kb = /VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    if (kb) max = Number(kb[1]) * 1024;
    for (const task of readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean)) max = Math.max(max, treeHwmBytes(Number(task)));
  } catch {
    // the process ended between two reads
  }
  return max;
}

interface AuditEvent {
  auditID: string;
  stage: string;
  verb: string;
  requestURI: string;
  userAgent?: string;
  user?: { username?: string };
  objectRef?: { resource?: string; subresource?: string };
}

/**
 * The audit log between two points, read by byte offset. The API server writes an event after it answers, so a
 * child's last request may land just after the child exits: `settle` sends a marker request and waits until the
 * marker is in the log, after every request the child made.
 */
export class AuditLog {
  private seq = 0;

  constructor(private readonly path: string, private readonly api: BenchApi, private readonly username: string) {}

  size(): number {
    return statSync(this.path).size;
  }

  async settle(): Promise<number> {
    const marker = `bench-marker-${process.pid}-${++this.seq}`;
    await this.api.request('GET', `/api/v1/namespaces/default/configmaps/${marker}`);
    const deadline = Date.now() + 30_000;
    for (;;) {
      const size = this.size();
      if (this.read(Math.max(0, size - 256 * 1024), size).some((e) => e.requestURI.endsWith(`/${marker}`))) return size;
      if (Date.now() > deadline) throw new Error(`the audit log ${this.path} did not record the marker request ${marker} within 30 s`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Requests made by the admin user with any user agent but the benchmark's own, between two offsets. */
  count(from: number, to: number, ignoreAgent: string): Pick<Sample, 'requests' | 'byRequest' | 'userAgents'> {
    const seen = new Set<string>();
    const byRequest: Record<string, number> = {};
    const agents = new Set<string>();
    for (const e of this.read(from, to)) {
      if (e.user?.username !== this.username || e.userAgent === ignoreAgent || seen.has(e.auditID)) continue;
      if (e.stage !== 'ResponseComplete' && e.stage !== 'Panic') continue;
      seen.add(e.auditID);
      agents.add(e.userAgent ?? '(none)');
      const what = `${e.verb} ${e.objectRef?.resource ? `${e.objectRef.resource}${e.objectRef.subresource ? `/${e.objectRef.subresource}` : ''}` : e.requestURI.split('?')[0]}`;
      byRequest[what] = (byRequest[what] ?? 0) + 1;
    }
    return { requests: seen.size, byRequest, userAgents: [...agents].sort() };
  }

  private read(from: number, to: number): AuditEvent[] {
    if (to <= from) return [];
    // One byte before `from`: the first line is then the tail of the line `from` falls in ("" at a line start), dropped.
    const start = Math.max(0, from - 1);
    const buf = Buffer.alloc(to - start);
    const fd = openSync(this.path, 'r');
    try {
      readSync(fd, buf, 0, buf.length, start);
    } finally {
      closeSync(fd);
    }
    const lines = buf.toString('utf8').split('\n');
    if (from > 0) lines.shift();
    const events: AuditEvent[] = [];
    for (const line of lines) {
      if (!line.trim()) continue;
      try {
        events.push(JSON.parse(line) as AuditEvent);
      } catch {
        // the line still being written
      }
    }
    return events;
  }
}
