// The only code that talks HTTP to the API server. Auth comes from @kubernetes/client-node's KubeConfig
// (client certs, tokens, exec plugins, OIDC, in-cluster); bodies are read as raw JSON to fold page by page.
import * as https from 'node:https';
import * as http from 'node:http';
import type { KubeConfig } from '@kubernetes/client-node';
import { ClusterError, UsageError } from '../errors.js';

export interface ClientOptions {
  kubeconfig?: string;
  context?: string;
  /** Per-request timeout in ms; 0 means none. */
  requestTimeoutMs: number;
  /** How the API server's audit log names us. */
  userAgent?: string;
}

export class ApiError extends Error {
  constructor(readonly status: number, readonly reason: string, message: string) {
    super(message);
  }
}

export interface RequestOptions {
  method?: string;
  query?: Record<string, string | undefined>;
  body?: unknown;
  contentType?: string;
  /** Return the body as text instead of parsing JSON (e.g. /readyz). */
  raw?: boolean;
}

export class KubeClient {
  /** Requests sent, by method and path (without query): the benchmark and tests read it. */
  readonly requests: string[] = [];

  private constructor(
    private readonly kc: KubeConfig,
    readonly server: string,
    readonly contextName: string,
    readonly namespace: string,
    private readonly timeoutMs: number,
    private readonly userAgent: string,
  ) {}

  static async load(options: ClientOptions): Promise<KubeClient> {
    // Loaded on demand: the library takes ~0.4s to import, which dumps, explain and --help do not need.
    const { KubeConfig } = await import('@kubernetes/client-node');
    const kc = new KubeConfig();
    try {
      if (options.kubeconfig) kc.loadFromFile(options.kubeconfig);
      else kc.loadFromDefault();
    } catch (err) {
      const where = options.kubeconfig ?? process.env.KUBECONFIG ?? '~/.kube/config';
      throw new ClusterError(`cannot load kubeconfig ${where}: ${(err as Error).message}`);
    }
    if (options.context) {
      if (!kc.getContextObject(options.context)) {
        const known = kc.getContexts().map((c) => c.name);
        throw new ClusterError(`context "${options.context}" does not exist in the kubeconfig${known.length ? ` (contexts: ${known.join(', ')})` : ''}`);
      }
      kc.setCurrentContext(options.context);
    }
    const cluster = kc.getCurrentCluster();
    if (!cluster) {
      throw new ClusterError(`the kubeconfig has no cluster for context "${kc.getCurrentContext()}"; set one with --context or --kubeconfig`);
    }
    const ctx = kc.getContextObject(kc.getCurrentContext());
    return new KubeClient(kc, cluster.server.replace(/\/+$/, ''), kc.getCurrentContext(), ctx?.namespace || 'default', options.requestTimeoutMs, options.userAgent ?? 'kubectl-volume_doctor');
  }

  /** GET a single object; undefined when it does not exist. */
  async get<T = unknown>(path: string, query?: Record<string, string | undefined>): Promise<T | undefined> {
    try {
      return await this.request<T>(path, { query });
    } catch (err) {
      if (err instanceof ApiError && err.status === 404) return undefined;
      throw err;
    }
  }

  /** Pages through a LIST with `limit` and `continue`, handing each page's items to `onItems` and dropping the page. */
  async list(path: string, query: Record<string, string | undefined>, onItems: (items: unknown[]) => void, pageSize = 500): Promise<void> {
    let cont: string | undefined;
    do {
      const page = await this.request<{ items?: unknown[]; metadata?: { continue?: string } }>(path, {
        query: { ...query, limit: String(pageSize), continue: cont },
      });
      onItems(page?.items ?? []);
      cont = page?.metadata?.continue || undefined;
    } while (cont);
  }

  async request<T = unknown>(path: string, options: RequestOptions = {}): Promise<T> {
    const url = new URL(this.server + path);
    for (const [k, v] of Object.entries(options.query ?? {})) if (v !== undefined && v !== '') url.searchParams.set(k, v);
    const method = options.method ?? 'GET';
    this.requests.push(`${method} ${url.pathname}${url.search}`);
    const opts: https.RequestOptions = {
      method,
      headers: { Accept: 'application/json', 'User-Agent': this.userAgent } as Record<string, string>,
    };
    try {
      await this.kc.applyToHTTPSOptions(opts);
    } catch (err) {
      throw new ClusterError(`cannot get credentials for context "${this.contextName}": ${(err as Error).message}`);
    }
    const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
    if (payload !== undefined) {
      (opts.headers as Record<string, string>)['Content-Type'] = options.contentType ?? 'application/json';
      // Node does not chunk DELETE bodies by default: without a length, the server reads no body at all and
      // a DELETE's options (grace period, preconditions) would be silently dropped.
      (opts.headers as Record<string, string>)['Content-Length'] = String(Buffer.byteLength(payload));
    }
    const transport = url.protocol === 'http:' ? http : https;
    if (url.protocol === 'http:') delete opts.agent;
    const text = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = transport.request(url, opts, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      });
      if (this.timeoutMs > 0) {
        req.setTimeout(this.timeoutMs, () => req.destroy(new Error(`request timed out after ${this.timeoutMs / 1000}s (--request-timeout)`)));
      }
      req.on('error', reject);
      if (payload !== undefined) req.write(payload);
      req.end();
    }).catch((err: NodeJS.ErrnoException) => {
      throw new ClusterError(`cannot reach the Kubernetes API server at ${this.server} (context "${this.contextName}"): ${err.message}`);
    });
    if (text.status >= 200 && text.status < 300) {
      if (options.raw) return text.body as T;
      return (text.body ? JSON.parse(text.body) : undefined) as T;
    }
    let status: { reason?: string; message?: string } = {};
    try {
      status = JSON.parse(text.body);
    } catch {
      status = { message: text.body.slice(0, 200) };
    }
    if (text.status === 401) {
      throw new ClusterError(`the API server at ${this.server} rejected the credentials of context "${this.contextName}" (401 Unauthorized)`);
    }
    throw new ApiError(text.status, status.reason ?? String(text.status), status.message ?? `HTTP ${text.status}`);
  }
}

/** Turns an ApiError for a missing target into the message kubectl would print. */
export function notFound(resource: string, name: string, namespace?: string): UsageError {
  return new UsageError(`${resource} "${name}" not found${namespace ? ` in namespace "${namespace}"` : ''}`);
}
