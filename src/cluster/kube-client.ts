// The only code that talks HTTP to the API server, over one pooled keep-alive agent per client. Credentials come
// from kubeconfig.ts (which picked the context as kubectl would, and loads @kubernetes/client-node only for auth
// providers and proxies); bodies are read as raw JSON to fold page by page. Every answer is checked before it is believed: an answer we cannot
// understand is an UnreadableAnswerError, never "absent".
import * as https from 'node:https';
import * as http from 'node:http';
import { createHash } from 'node:crypto';
import { splitListPage } from './list-page.js';
import { ClusterError, RequestTimeoutError, UnreadableAnswerError } from '../errors.js';
import { authenticator, Authenticator, ConnectionOverrides, Impersonation, resolveKubeconfig } from './kubeconfig.js';
import { formatDuration as formatLong } from '../util/time.js';
import { terminalSafe } from '../util/terminal-safe.js';
import { isObject } from '../util/json.js';

export interface ClientOptions {
  kubeconfig?: string;
  context?: string;
  /** kubectl's connection flags (--server, --token, --as, ...) over the kubeconfig. */
  overrides?: ConnectionOverrides;
  /** kubectl's -v: 6 logs each request's method, URL, status and time; 7 adds request headers; 8 response headers and bodies (cut); 9 whole bodies. */
  verbosity?: number;
  /** Where -v lines go (stderr). */
  log?: (line: string) => void;
  /** Per-request timeout in ms (headers and body); 0 means none. */
  requestTimeoutMs: number;
  /** How the API server's audit log names us. */
  userAgent?: string;
  /** Where retries are reported (one line each). */
  warn?: (line: string) => void;
  /** Limits, lowered by tests. */
  maxResponseBytes?: number;
  maxPages?: number;
  /** Connections to the API server at most (requests beyond wait for one); about the readers' concurrency. */
  maxConnections?: number;
  /** Environment, home and service account directory to locate the kubeconfig in (tests). */
  env?: NodeJS.ProcessEnv;
  home?: string;
  serviceAccountDir?: string;
}

/** A Kubernetes Status body, when the server sent one. */
export interface ApiStatus {
  kind?: string;
  reason?: string;
  message?: string;
  details?: { name?: unknown; kind?: unknown };
}

export class ApiError extends Error {
  constructor(readonly status: number, readonly reason: string, message: string, readonly body?: ApiStatus) {
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
  /** A shorter bound for this request than --request-timeout (e.g. a probe that must not wait long). */
  timeoutMs?: number;
  /** Never retry, even a GET answered 429/503 (a probe whose 503 is the answer). */
  noRetry?: boolean;
}

const MAX_RESPONSE_BYTES = 64 * 1024 * 1024;
const MAX_PAGES = 10_000;
/** Items parsed and folded together from one LIST page: few enough that their parsed objects die young. */
const ITEMS_PER_BATCH = 50;
/** Retries of an idempotent GET answered 429 (or 503/504), honouring Retry-After up to RETRY_AFTER_CAP_MS. */
const MAX_RETRIES = 3;
const RETRY_AFTER_CAP_MS = 10_000;
/** The exec plugin's bound when --request-timeout is 0. */
const EXEC_BOUND_MS = 30_000;
/** Reading the cluster is bounded by this many request timeouts. */
const DEADLINE_FACTOR = 10;
/** The live reader runs 6 requests at once; Longhorn's kinds add a few. */
const MAX_CONNECTIONS = 8;
/** An idle connection is closed after this long, before an API server's idle timeout (90s in kube-apiserver) could race a reuse. */
const IDLE_SOCKET_MS = 30_000;

/**
 * Server text quoted in our messages, kept short. Its characters are kept as the server sent them (the JSON report
 * stays exact); the terminal renderers escape them visibly.
 */
export function shorten(text: string, max = 200): string {
  const flat = text.trim();
  return flat.length > max ? `${flat.slice(0, max)}…` : flat;
}

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

class Deadline {
  constructor(readonly at: number, readonly totalMs: number, readonly timeoutMs: number) {}

  error(): ClusterError {
    return new ClusterError(`reading the cluster took longer than ${formatDuration(this.totalMs)} (${DEADLINE_FACTOR} × --request-timeout ${formatDuration(this.timeoutMs)}); raise --request-timeout for a slow or large cluster`);
  }
}

export class KubeClient {
  /** Requests sent, by method and path (without query): the benchmark and tests read it. */
  readonly requests: string[] = [];
  private deadline?: Deadline;
  private agent?: Promise<http.Agent>;

  private constructor(
    private readonly auth: Authenticator,
    readonly server: string,
    readonly contextName: string,
    readonly namespace: string,
    private readonly timeoutMs: number,
    private readonly userAgent: string,
    private readonly warn: (line: string) => void,
    private readonly maxResponseBytes: number,
    private readonly maxPages: number,
    private readonly impersonate: Impersonation | undefined,
    private readonly verbosity: number,
    private readonly log: (line: string) => void,
    private readonly maxConnections: number,
  ) {}

  static async load(options: ClientOptions): Promise<KubeClient> {
    const resolved = resolveKubeconfig({
      kubeconfig: options.kubeconfig, context: options.context, overrides: options.overrides, env: options.env, home: options.home, serviceAccountDir: options.serviceAccountDir,
    });
    // The exec plugin's bound is the client's time left, known only once the client exists.
    const made: { client?: KubeClient } = {};
    const auth = await authenticator(resolved, () => made.client?.execBoundMs() ?? EXEC_BOUND_MS);
    const client = new KubeClient(
      auth, resolved.server, resolved.contextName || '(none)', resolved.namespace, options.requestTimeoutMs, options.userAgent ?? 'kubectl-volume_doctor',
      options.warn ?? (() => undefined), options.maxResponseBytes ?? MAX_RESPONSE_BYTES, options.maxPages ?? MAX_PAGES,
      resolved.impersonate, options.verbosity ?? 0, options.log ?? ((line) => process.stderr.write(`${line}\n`)),
      Math.max(1, options.maxConnections ?? MAX_CONNECTIONS),
    );
    made.client = client;
    return client;
  }

  /**
   * The run's one agent: keep-alive, at most maxConnections sockets. Each request passes its own TLS material, so
   * requests share a connection exactly when their credentials agree (an exec plugin's new certificate gets a new
   * one). Idle sockets do not keep the process alive (Node unrefs them) and close after IDLE_SOCKET_MS.
   */
  private pool(secure: boolean): Promise<http.Agent> {
    this.agent ??= (async () => {
      const options = { keepAlive: true, maxSockets: this.maxConnections, maxFreeSockets: this.maxConnections, timeout: IDLE_SOCKET_MS };
      if (this.auth.proxyAgent) return this.auth.proxyAgent(options);
      return secure ? new https.Agent(options) : new http.Agent(options);
    })();
    return this.agent;
  }

  /** Closes the pooled connections (the process exits without it too: idle sockets are unreferenced). */
  async close(): Promise<void> {
    const agent = await this.agent?.catch(() => undefined);
    this.agent = undefined;
    agent?.destroy();
  }

  /**
   * Runs `read` (reading the cluster) within DEADLINE_FACTOR × the request timeout: requests still running at the
   * deadline are cut, later ones fail at once, with a ClusterError that names the flag to raise. None for timeout 0.
   */
  async withDeadline<T>(read: () => Promise<T>): Promise<T> {
    if (this.timeoutMs <= 0 || this.deadline) return read();
    const total = DEADLINE_FACTOR * this.timeoutMs;
    this.deadline = new Deadline(Date.now() + total, total, this.timeoutMs);
    try {
      return await read();
    } finally {
      this.deadline = undefined;
    }
  }

  /** Time left for one step: the request timeout, cut short by the deadline. */
  private budget(): { ms: number; byDeadline: boolean } {
    const left = this.deadline ? this.deadline.at - Date.now() : Infinity;
    const per = this.timeoutMs > 0 ? this.timeoutMs : Infinity;
    if (left <= 0) throw this.deadline!.error();
    return left < per ? { ms: left, byDeadline: true } : { ms: per, byDeadline: false };
  }

  private execBoundMs(): number {
    const { ms } = this.budget();
    return Math.min(ms, this.timeoutMs > 0 ? this.timeoutMs : EXEC_BOUND_MS);
  }

  /**
   * GET one object. undefined only when the server says this object does not exist: a 404 whose body is a
   * Kubernetes Status with reason NotFound naming it in details.name, as kube-apiserver writes it. A 404 without
   * such a Status ("404 page not found", or "the server could not find the requested resource" for a path it does
   * not serve) is an ApiError: unknown, never absent.
   */
  async get<T = unknown>(path: string, query?: Record<string, string | undefined>): Promise<T | undefined> {
    let answer: unknown;
    try {
      answer = await this.request<unknown>(path, { query });
    } catch (err) {
      if (err instanceof ApiError && err.status === 404 && err.body?.kind === 'Status' && err.body.reason === 'NotFound') {
        const named = err.body.details?.name;
        const asked = decodeURIComponent(path.slice(path.lastIndexOf('/') + 1));
        if (named === asked) return undefined;
        if (named === undefined || named === '') throw err;
        throw new UnreadableAnswerError(`the API server answered GET ${path} with "${shorten(String(named))}" not found, which is not the object asked for`);
      }
      throw err;
    }
    if (!isObject(answer)) throw new UnreadableAnswerError(`the API server's answer to GET ${path} is not a JSON object`);
    return answer as T;
  }

  /**
   * GET a discovery document (e.g. /apis/longhorn.io): undefined when the server does not serve the path, which a
   * real API server says with a plain-text "404 page not found" (or a 404 Status).
   */
  async discover<T = unknown>(path: string): Promise<T | undefined> {
    try {
      return await this.get<T>(path);
    } catch (err) {
      if (err instanceof ApiError && err.status === 404) return undefined;
      throw err;
    }
  }

  /**
   * Pages through a LIST with `limit` and `continue`, handing each page's items to `onItems` and dropping the page.
   * A page without an items list, of another kind than `listKind` (e.g. NodeList), that says items remain but
   * gives no continue token, a continue token seen before, or more than maxPages pages is unreadable.
   */
  async list(path: string, query: Record<string, string | undefined>, onItems: (items: unknown[]) => void, pageSize = 500, listKind?: string): Promise<void> {
    let cont: string | undefined;
    const tokens = new Set<string>();
    let pages = 0;
    // As the request's own errors name it: with the server URL's path prefix (e.g. behind Rancher's proxy).
    const pathname = new URL(this.server + path).pathname;
    do {
      const body = await this.request<string>(path, { query: { ...query, limit: String(pageSize), continue: cont }, raw: true });
      pages++;
      const split = splitListPage(body);
      const envelope = split && parseJson(split.envelope);
      // The envelope's own items must be the empty array the split left: a second items key (spelled with an escape,
      // say) is JSON.parse's to settle, on the whole page.
      const usable = envelope?.ok && isObject(envelope.value) && Array.isArray(envelope.value.items) && envelope.value.items.length === 0;
      const page = usable ? envelope.value as { items?: unknown } : this.jsonOf(body, 'GET', pathname);
      // Go encodes an empty slice as null.
      if (!isObject(page) || !(Array.isArray(page.items) || page.items === null)) {
        throw new UnreadableAnswerError(`the API server's answer to LIST ${path} is not a list (no items array)`);
      }
      if (listKind !== undefined && page.kind !== listKind) {
        throw new UnreadableAnswerError(`the API server's answer to LIST ${path} is ${typeof page.kind === 'string' ? `a ${shorten(page.kind, 60)}` : 'an object without a kind'}, not a ${listKind}`);
      }
      const next: unknown = page.metadata?.continue;
      if (next !== undefined && next !== null && typeof next !== 'string') {
        throw new UnreadableAnswerError(`the API server's answer to LIST ${path} has a continue token that is not a string`);
      }
      const remaining: unknown = page.metadata?.remainingItemCount;
      if (!next && typeof remaining === 'number' && remaining > 0) {
        throw new UnreadableAnswerError(`the API server's answer to LIST ${path} says ${remaining} more items remain but gives no continue token`);
      }
      if (!usable || !split || !Array.isArray(page.items)) onItems(page.items ?? []);
      else {
        // Item by item, in small batches: each batch's parsed objects are garbage as soon as it is folded.
        for (let at = 0; at < split.items.length; at += ITEMS_PER_BATCH) {
          const batch = split.items.slice(at, at + ITEMS_PER_BATCH).map((item) => parseJson(item));
          if (batch.some((b) => !b.ok)) this.jsonOf(body, 'GET', pathname); // throws: the page as a whole is not JSON
          onItems(batch.map((b) => (b as { value: unknown }).value));
        }
      }
      cont = next || undefined;
      if (cont === undefined) return;
      const digest = createHash('sha256').update(cont).digest('base64');
      if (tokens.has(digest)) throw new UnreadableAnswerError(`the API server repeated a continue token while listing ${path} (after ${pages} pages); the list never ends`);
      tokens.add(digest);
      if (pages >= this.maxPages) throw new UnreadableAnswerError(`the LIST of ${path} did not end after ${pages} pages; stopped`);
    } while (cont);
  }

  async request<T = unknown>(path: string, options: RequestOptions = {}): Promise<T> {
    const url = new URL(this.server + path);
    for (const [k, v] of Object.entries(options.query ?? {})) if (v !== undefined && v !== '') url.searchParams.set(k, v);
    const method = options.method ?? 'GET';
    for (let attempt = 0; ; attempt++) {
      const answer = await this.send(url, method, options);
      const wait = method === 'GET' && !options.noRetry && attempt < MAX_RETRIES ? this.retryDelay(answer, attempt) : undefined;
      if (wait === undefined) return this.interpret<T>(answer, method, url.pathname, options);
      this.warn(`GET ${url.pathname}: the API server answered ${answer.status}${answer.status === 429 ? ' Too Many Requests' : ''}; retrying in ${formatDuration(wait)} (${attempt + 1} of ${MAX_RETRIES})`);
      await new Promise((r) => setTimeout(r, wait));
    }
  }

  /**
   * One GET whose every answer is data, whatever its status: the status and body as they came (nothing retried,
   * nothing interpreted). For asking a kubelet through the node proxy, where a 503 or a plain-text 403 is the answer.
   */
  async getRaw(path: string, options: { query?: Record<string, string | undefined>; timeoutMs?: number } = {}): Promise<{ status: number; body: string }> {
    const url = new URL(this.server + path);
    for (const [k, v] of Object.entries(options.query ?? {})) if (v !== undefined && v !== '') url.searchParams.set(k, v);
    const answer = await this.send(url, 'GET', { timeoutMs: options.timeoutMs });
    return { status: answer.status, body: answer.body };
  }

  /** How long to wait before retrying, or undefined when the answer is final (or the wait would pass the deadline). */
  private retryDelay(answer: Answer, attempt: number): number | undefined {
    const retryAfter = answer.headers['retry-after'];
    if (answer.status !== 429 && !((answer.status === 503 || answer.status === 504))) return undefined;
    let ms = 1000 * 2 ** attempt;
    if (typeof retryAfter === 'string' && retryAfter.trim() !== '') {
      const seconds = /^\d+$/.test(retryAfter.trim()) ? Number(retryAfter.trim()) : (Date.parse(retryAfter) - Date.now()) / 1000;
      if (!Number.isNaN(seconds)) ms = Math.max(0, seconds * 1000);
    }
    ms = Math.min(ms, RETRY_AFTER_CAP_MS);
    if (this.deadline && Date.now() + ms >= this.deadline.at) return undefined;
    return ms;
  }

  private async send(url: URL, method: string, options: RequestOptions): Promise<Answer> {
    this.requests.push(`${method} ${url.pathname}${url.search}`);
    const answer = await this.sendOnce(url, method, options);
    // Only a read is sent again: a write on a connection that broke may have reached the server.
    if (answer instanceof StaleConnectionError) {
      if (method !== 'GET') throw answer.cause;
      return this.sendOnce(url, method, options, true).then((a) => { if (a instanceof StaleConnectionError) throw a.cause; return a; });
    }
    return answer;
  }

  private async sendOnce(url: URL, method: string, options: RequestOptions, retried = false): Promise<Answer | StaleConnectionError> {
    const opts: https.RequestOptions = {
      method,
      headers: { Accept: 'application/json', 'User-Agent': this.userAgent } as Record<string, string>,
    };
    try {
      const { headers, tls } = await this.auth.credentials();
      Object.assign(opts.headers as object, headers);
      if (url.protocol === 'https:') Object.assign(opts, tls);
      opts.agent = await this.pool(url.protocol === 'https:');
    } catch (err) {
      if (err instanceof ClusterError) throw err;
      throw new ClusterError(`cannot get credentials for context "${this.contextName}": ${shorten((err as Error).message)}`);
    }
    if (this.impersonate) Object.assign(opts.headers as object, impersonationHeaders(this.impersonate));
    const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
    if (payload !== undefined) {
      (opts.headers as Record<string, string>)['Content-Type'] = options.contentType ?? 'application/json';
      // Node does not chunk DELETE bodies by default: without a length, the server reads no body at all and
      // a DELETE's options (grace period, preconditions) would be silently dropped.
      (opts.headers as Record<string, string>)['Content-Length'] = String(Buffer.byteLength(payload));
    }
    const transport = url.protocol === 'http:' ? http : https;
    const budget = this.budget();
    const ms = options.timeoutMs !== undefined && options.timeoutMs < budget.ms ? options.timeoutMs : budget.ms;
    const byDeadline = budget.byDeadline && ms === budget.ms;
    const what = `${method} ${url.pathname}`;
    const cap = this.maxResponseBytes;
    const started = Date.now();
    if (this.verbosity >= 7) this.logRequest(method, url, opts.headers as Record<string, string | string[]>, payload);
    return new Promise<Answer | StaleConnectionError>((resolve, reject) => {
      let done = false;
      let req: http.ClientRequest | undefined;
      let responded = false;
      const finish = (err: Error | undefined, answer?: Answer) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        if (this.verbosity >= 6) this.logResponse(method, url, Date.now() - started, answer, err);
        if (err) {
          req?.destroy();
          reject(err);
        } else resolve(answer!);
      };
      // The whole request, headers and body: a server that drips bytes is cut as surely as one that says nothing.
      const timer = Number.isFinite(ms)
        ? setTimeout(() => finish(byDeadline
          ? this.deadline!.error()
          : new RequestTimeoutError(`${what} timed out after ${formatDuration(ms)} (--request-timeout): the API server at ${this.server} did not finish answering; raise --request-timeout for a slow server`)), ms)
        : undefined;
      const onResponse = (res: http.IncomingMessage) => {
        responded = true;
        const tooLarge = () => new UnreadableAnswerError(`the API server's answer to ${what} is larger than ${formatBytes(cap)}; the server may ignore \`limit\``);
        const declared = Number(res.headers['content-length']);
        if (declared > cap) {
          finish(tooLarge());
          return;
        }
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size > cap) {
            chunks.length = 0;
            finish(tooLarge());
            return;
          }
          chunks.push(c);
        });
        res.on('end', () => finish(undefined, { status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', (err) => finish(this.unreachable(err)));
        // After 'end' this is a no-op; before it, the answer was cut short.
        res.on('close', () => finish(this.unreachable(new Error('the connection closed before the answer was complete'))));
      };
      try {
        req = transport.request(url, opts, onResponse);
      } catch (err) {
        // e.g. a credential with a character that cannot go in a header
        finish(new ClusterError(`cannot send ${what} to ${this.server}: ${shorten((err as Error).message)}`));
        return;
      }
      req.on('error', (err) => {
        // A kept-alive connection the server closed just as we reused it: nothing reached the server.
        if (!done && !retried && !responded && req?.reusedSocket && isReset(err)) {
          done = true;
          clearTimeout(timer);
          req.destroy();
          resolve(new StaleConnectionError(this.unreachable(err)));
          return;
        }
        finish(this.unreachable(err));
      });
      if (payload !== undefined) req.write(payload);
      req.end();
    });
  }

  /** A klog-style line, as kubectl writes them to stderr: `I1126 03:51:04.126053   23397 kube-client.ts] ...`. */
  private klog(text: string): void {
    const d = new Date();
    const p = (n: number, w = 2) => String(n).padStart(w, '0');
    const stamp = `I${p(d.getMonth() + 1)}${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds(), 3)}000`;
    this.log(`${stamp} ${String(process.pid).padStart(7)} kube-client.ts] ${text}`);
  }

  private logRequest(method: string, url: URL, headers: Record<string, string | string[]>, payload: string | undefined): void {
    if (this.verbosity >= 8 && payload !== undefined) this.klog(`"Request Body" body=${quote(this.cut(payload))}`);
    this.klog(`"Request" verb=${quote(method)} url=${quote(url.href)} headers=<\n${headerLines(headers, true)} >`);
  }

  private logResponse(method: string, url: URL, ms: number, answer: Answer | undefined, err: Error | undefined): void {
    const status = answer ? `${answer.status} ${http.STATUS_CODES[answer.status] ?? ''}`.trim() : '';
    // At 6 one line says it all; from 7 the request line above already names the verb and URL, as in kubectl.
    const target = this.verbosity >= 7 ? '' : ` verb=${quote(method)} url=${quote(url.href)}`;
    const headers = this.verbosity >= 8 && answer ? ` headers=<\n${headerLines(answer.headers, false)} >` : '';
    this.klog(`"Response"${target} status=${quote(err ? `error: ${err.message}` : status)}${headers} milliseconds=${ms}`);
    if (this.verbosity >= 8 && answer) this.klog(`"Response Body" body=${quote(this.cut(answer.body))}`);
  }

  /** kubectl cuts bodies at 1024 characters below -v=9. */
  private cut(body: string): string {
    return this.verbosity >= 9 || body.length <= 1024 ? body : `${body.slice(0, 1024)} [truncated ${body.length - 1024} chars]`;
  }

  private unreachable(err: Error): ClusterError {
    return new ClusterError(`cannot reach the Kubernetes API server at ${this.server} (context "${this.contextName}"): ${shorten(err.message)}`);
  }

  /** A 2xx answer's body as JSON; unreadable for a GET when it is not JSON. */
  private jsonOf(body: string, method: string, path: string): unknown {
    const parsed = parseJson(body);
    if (parsed.ok) return parsed.value;
    // A write the server accepted stands even if its answer is unreadable: nothing reads a write's answer.
    if (method !== 'GET') return undefined;
    throw new UnreadableAnswerError(body.trim() === ''
      ? `the API server answered GET ${path} with an empty body`
      : `the API server's answer to GET ${path} is not JSON (it starts with "${shorten(body, 40)}")`);
  }

  private interpret<T>(answer: Answer, method: string, path: string, options: RequestOptions): T {
    const { status, body } = answer;
    if (status >= 200 && status < 300) return options.raw ? body as T : this.jsonOf(body, method, path) as T;
    const parsed = parseJson(body);
    const statusBody: ApiStatus | undefined = parsed.ok && isObject(parsed.value) ? parsed.value : undefined;
    if (status === 401) {
      throw new ClusterError(`the API server at ${this.server} rejected the credentials of context "${this.contextName}" (401 Unauthorized)`);
    }
    const reason = typeof statusBody?.reason === 'string' && statusBody.reason ? shorten(statusBody.reason, 60) : (http.STATUS_CODES[status] ?? 'HTTP error');
    const message = typeof statusBody?.message === 'string' ? shorten(statusBody.message) : shorten(body) || `HTTP ${status}`;
    throw new ApiError(status, reason, message, statusBody);
  }
}

/** A reused keep-alive connection that failed before any answer: the request is sent again on a new one. */
class StaleConnectionError {
  constructor(readonly cause: Error) {}
}

const isReset = (err: Error): boolean => ['ECONNRESET', 'EPIPE', 'ECONNABORTED'].includes((err as NodeJS.ErrnoException).code ?? '');

/**
 * Impersonate-User, one Impersonate-Group line per group, Impersonate-Uid and Impersonate-Extra-<key> (the key
 * percent-encoded where a header name may not hold it), as client-go sends them.
 */
export function impersonationHeaders(who: Impersonation): Record<string, string | string[]> {
  const headers: Record<string, string | string[]> = { 'Impersonate-User': who.user };
  if (who.groups.length) headers['Impersonate-Group'] = who.groups;
  if (who.uid) headers['Impersonate-Uid'] = who.uid;
  for (const [key, values] of Object.entries(who.extra)) {
    const name = [...Buffer.from(key, 'utf8')].map((b) => (/[A-Za-z0-9!#$&'*+.^_`|~-]/.test(String.fromCharCode(b)) && b < 0x80 && b !== 0x25 ? String.fromCharCode(b) : `%${b.toString(16).toUpperCase().padStart(2, '0')}`)).join('');
    headers[`Impersonate-Extra-${name}`] = values;
  }
  return headers;
}

/** A logged value, quoted as klog quotes it and escaped for the terminal (bodies and headers are the server's). */
const quote = (v: string): string => terminalSafe(JSON.stringify(v));

/** Header lines for -v=7 and up; credentials are masked as kubectl masks them. */
function headerLines(headers: Record<string, unknown>, request: boolean): string {
  const lines: string[] = [];
  for (const name of Object.keys(headers).sort((a, b) => a.localeCompare(b))) {
    const values = ([] as unknown[]).concat(headers[name]).map(String);
    for (const v of values) {
      const masked = request && /^authorization$/i.test(name) ? v.replace(/^(\S+)\s.*$/, '$1 <masked>') : v;
      const shown = request ? name : name.replace(/(^|-)([a-z])/g, (_m, sep: string, c: string) => sep + c.toUpperCase());
      lines.push(`\t${terminalSafe(shown)}: ${terminalSafe(masked)}`);
    }
  }
  return lines.map((l) => `${l}\n`).join('');
}

function parseJson(text: string): { ok: true; value: unknown } | { ok: false } {
  if (text.trim() === '') return { ok: false };
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false };
  }
}

/** 250ms, 1.5s, 30s, 5m. */
function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 120_000 && ms % 1000) return `${(ms / 1000).toFixed(1).replace(/\.0$/, '')}s`;
  return formatLong(ms);
}

function formatBytes(n: number): string {
  return n >= 1024 * 1024 ? `${Math.round(n / 1024 / 1024)} MiB` : `${n} bytes`;
}

