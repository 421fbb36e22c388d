// Talking to the test cluster: the product's own KubeClient for reads and writes, the real kubectl for manifests.
import { spawnSync } from 'node:child_process';
import { KubeClient } from '../../src/cluster/kube-client.js';

export async function client(kubeconfig: string, context?: string): Promise<KubeClient> {
  // Its own user agent, so the audit log tells the harness's requests from the plugin's.
  return KubeClient.load({ kubeconfig, context, requestTimeoutMs: 10_000, userAgent: 'volume-doctor-test-cluster' });
}

/** Synchronous, so bounded: a hung kubectl must fail the caller, not freeze it (no test timeout can interrupt it). */
export function kubectl(kubeconfig: string, args: string[], input?: string, timeoutMs = 120_000): string {
  const r = spawnSync('kubectl', ['--request-timeout=30s', ...args], { input, encoding: 'utf8', env: { ...process.env, KUBECONFIG: kubeconfig }, timeout: timeoutMs, killSignal: 'SIGKILL' });
  if (r.error || r.signal) throw new Error(`kubectl ${args.join(' ')} did not finish within ${timeoutMs / 1000}s${r.stderr ? `: ${r.stderr.trim()}` : ''}`);
  if (r.status !== 0) throw new Error(`kubectl ${args.join(' ')} failed: ${r.stderr.trim()}`);
  return r.stdout;
}

export function apply(kubeconfig: string, manifest: unknown[]): void {
  kubectl(kubeconfig, ['apply', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'List', items: manifest }));
}

export async function waitFor<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs = 120_000, everyMs = 1000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await probe();
      if (v) return v;
    } catch (err) {
      lastError = err;
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
  throw new Error(`timed out after ${timeoutMs / 1000}s waiting for ${what}${lastError ? ` (last error: ${(lastError as Error).message})` : ''}`);
}
