// The benchmark's own writer: one pooled keep-alive HTTPS agent with the admin client certificate of the test
// cluster's kubeconfig, so populating tens of thousands of objects does not pay a TLS handshake per request.
import * as https from 'node:https';
import { readFileSync } from 'node:fs';

export const BENCH_USER_AGENT = 'volume-doctor-bench';

interface KubeconfigJson {
  clusters: { cluster: { server: string; 'certificate-authority-data': string } }[];
  users: { name: string; user: { 'client-certificate-data': string; 'client-key-data': string } }[];
}

export class BenchApi {
  readonly server: URL;
  private readonly agent: https.Agent;
  sent = 0;

  constructor(kubeconfig: string, readonly concurrency: number, user = 'admin') {
    // hack/cluster writes its kubeconfig as JSON (a subset of YAML).
    const kc = JSON.parse(readFileSync(kubeconfig, 'utf8')) as KubeconfigJson;
    const u = kc.users.find((x) => x.name === user);
    if (!u) throw new Error(`${kubeconfig} has no user ${user}`);
    const b64 = (s: string) => Buffer.from(s, 'base64');
    this.server = new URL(kc.clusters[0].cluster.server);
    this.agent = new https.Agent({
      keepAlive: true, maxSockets: concurrency,
      ca: b64(kc.clusters[0].cluster['certificate-authority-data']), cert: b64(u.user['client-certificate-data']), key: b64(u.user['client-key-data']),
    });
  }

  close(): void {
    this.agent.destroy();
  }

  request(method: string, path: string, body?: unknown, contentType = 'application/json'): Promise<{ status: number; body: string }> {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const headers: Record<string, string> = { Accept: 'application/json', 'User-Agent': BENCH_USER_AGENT };
    if (payload !== undefined) {
      headers['Content-Type'] = contentType;
      headers['Content-Length'] = String(Buffer.byteLength(payload));
    }
    this.sent++;
    return new Promise((resolve, reject) => {
      const req = https.request(new URL(path, this.server), { method, headers, agent: this.agent, timeout: 60_000 }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      });
      req.on('timeout', () => req.destroy(new Error(`${method} ${path} timed out`)));
      req.on('error', reject);
      if (payload !== undefined) req.write(payload);
      req.end();
    });
  }

  /** A request that must succeed; 429 (the server's max-requests-inflight) is retried after a pause. */
  async must(method: string, path: string, body?: unknown, contentType?: string): Promise<string> {
    for (let attempt = 0; ; attempt++) {
      const r = await this.request(method, path, body, contentType);
      if (r.status >= 200 && r.status < 300) return r.body;
      if (r.status === 429 && attempt < 10) {
        await new Promise((res) => setTimeout(res, 200 * (attempt + 1)));
        continue;
      }
      throw new Error(`${method} ${path}: ${r.status} ${r.body.slice(0, 300)}`);
    }
  }

  create(collection: string, obj: unknown): Promise<string> {
    return this.must('POST', collection, obj);
  }

  /** Writes status through the status subresource (a create drops any status it is given). */
  patchStatus(objectPath: string, status: unknown): Promise<string> {
    return this.must('PATCH', `${objectPath}/status`, { status }, 'application/merge-patch+json');
  }
}
