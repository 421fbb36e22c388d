// Talking to the test cluster: the product's own KubeClient for reads and writes, the real kubectl for manifests.
import { execFileSync, spawnSync } from 'node:child_process';
import { KubeClient } from '../../src/cluster/kube-client.js';

export async function client(kubeconfig: string, context?: string): Promise<KubeClient> {
  return KubeClient.load({ kubeconfig, context, requestTimeoutMs: 10_000 });
}

export function kubectl(kubeconfig: string, args: string[], input?: string): string {
  const r = spawnSync('kubectl', args, { input, encoding: 'utf8', env: { ...process.env, KUBECONFIG: kubeconfig } });
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

export function have(binary: string): boolean {
  try {
    execFileSync('which', [binary], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
