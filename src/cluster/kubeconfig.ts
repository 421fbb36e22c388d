// Finds and merges kubeconfig files exactly as kubectl does, and runs exec credential plugins with a bound.
// kubectl's rules: --kubeconfig uses only that file; otherwise $KUBECONFIG's files (missing or empty entries
// skipped), or ~/.kube/config; the first file that sets current-context wins; for clusters, users and contexts
// the first file defining a name wins; relative paths resolve against the file that holds them; with no
// kubeconfig at all, the pod's service account (in-cluster) is used.
import { isObject } from '../util/json.js';
import { spawn } from 'node:child_process';
import { accessSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, dirname, isAbsolute, join, sep } from 'node:path';
import yaml from 'js-yaml';
import type { Cluster, Context, KubeConfig, User } from '@kubernetes/client-node';
import { ClusterError } from '../errors.js';

const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

/* eslint-disable @typescript-eslint/no-explicit-any */
type Raw = Record<string, any>;

interface Named {
  name: string;
  /** The entry's body (cluster, user or context), with its paths made absolute. */
  body: Raw;
  file: string;
}

export interface MergedKubeconfig {
  files: string[];
  currentContext?: string;
  clusters: Map<string, Named>;
  users: Map<string, Named>;
  contexts: Map<string, Named>;
}

export interface ResolvedKubeconfig {
  /** The files read, or the service account directory for in-cluster. */
  sources: string[];
  inCluster: boolean;
  contextName: string;
  namespace: string;
  clusterName: string;
  server: string;
  /** The cluster entry in kubeconfig form (certificate-authority, insecure-skip-tls-verify, ...), paths absolute. */
  cluster: Raw;
  userName?: string;
  /** The user entry in kubeconfig form (token, tokenFile, client-certificate, exec, ...), paths absolute. */
  user: Raw;
  /** Whom to act as (Impersonate-* headers), from the user entry's as/as-groups/as-uid or the --as flags. */
  impersonate?: Impersonation;
}

export interface Impersonation {
  user: string;
  groups: string[];
  uid?: string;
  extra: Record<string, string[]>;
}

/** kubectl's connection flags; each overrides the kubeconfig as client-go's clientcmd overrides do. */
export interface ConnectionOverrides {
  cluster?: string;
  user?: string;
  server?: string;
  token?: string;
  certificateAuthority?: string;
  clientCertificate?: string;
  clientKey?: string;
  insecureSkipTlsVerify?: boolean;
  tlsServerName?: string;
  as?: string;
  asGroup?: string[];
  asUid?: string;
}

export interface LocateOptions {
  /** --kubeconfig: only this file. */
  kubeconfig?: string;
  /** --context. */
  context?: string;
  /** --cluster, --user, --server, --token, --as, ... */
  overrides?: ConnectionOverrides;
  env?: NodeJS.ProcessEnv;
  home?: string;
  serviceAccountDir?: string;
}

const exists = (file: string): boolean => {
  try {
    accessSync(file);
    return true;
  } catch {
    return false;
  }
};

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

function resolvePath(dir: string, file: unknown): unknown {
  return typeof file === 'string' && file !== '' && !isAbsolute(file) ? join(dir, file) : file;
}

/** kubectl resolves these fields against the directory of the file that defines the entry. */
function absolutePaths(section: 'clusters' | 'users' | 'contexts', body: Raw, dir: string): Raw {
  const out: Raw = { ...body };
  if (section === 'clusters') out['certificate-authority'] = resolvePath(dir, body['certificate-authority']);
  if (section === 'users') {
    for (const key of ['client-certificate', 'client-key', 'tokenFile']) out[key] = resolvePath(dir, body[key]);
    // An exec command with a slash is a path (./bin/plugin); without one it is looked up on PATH.
    if (isObject(body.exec) && typeof body.exec.command === 'string' && body.exec.command.includes(sep)) {
      out.exec = { ...body.exec, command: resolvePath(dir, body.exec.command) };
    }
  }
  for (const key of Object.keys(out)) if (out[key] === undefined) delete out[key];
  return out;
}

function readFile(file: string): Raw {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ClusterError(`cannot read kubeconfig ${file}: ${code === 'ENOENT' ? 'no such file' : (err as Error).message}`);
  }
  let doc: unknown;
  try {
    doc = yaml.load(text);
  } catch (err) {
    throw new ClusterError(`cannot read kubeconfig ${file}: invalid YAML: ${(err as Error).message.split('\n')[0]}`);
  }
  if (doc === undefined || doc === null) return {};
  if (!isObject(doc)) throw new ClusterError(`cannot read kubeconfig ${file}: not a kubeconfig (a mapping with clusters, users and contexts)`);
  return doc;
}

/** Fields kubectl reads as strings: a number or boolean there is an error in kubectl too. */
const STRING_FIELDS = {
  cluster: ['server', 'certificate-authority', 'certificate-authority-data', 'tls-server-name', 'proxy-url'],
  user: ['token', 'tokenFile', 'client-certificate', 'client-certificate-data', 'client-key', 'client-key-data', 'username', 'password'],
  context: ['cluster', 'user', 'namespace'],
} as const;

/** Reads and merges the files in order; files that do not exist are skipped (they are reported by the caller). */
export function mergeKubeconfigs(files: string[]): MergedKubeconfig {
  const merged: MergedKubeconfig = { files: [], clusters: new Map(), users: new Map(), contexts: new Map() };
  for (const file of files) {
    if (!exists(file)) continue;
    const doc = readFile(file);
    merged.files.push(file);
    const dir = dirname(file);
    // kubectl refuses a file whose fields have the wrong type rather than skip them, so a typo cannot pick another cluster.
    const current = doc['current-context'];
    if (current !== undefined && current !== null && typeof current !== 'string') throw new ClusterError(`cannot read kubeconfig ${file}: current-context is ${typeof current === 'object' ? 'not a string' : `the ${typeof current} ${String(current)}, not a string (quote it)`}`);
    if (merged.currentContext === undefined && typeof doc['current-context'] === 'string' && doc['current-context'] !== '') {
      merged.currentContext = doc['current-context'];
    }
    for (const [section, field] of [['clusters', 'cluster'], ['users', 'user'], ['contexts', 'context']] as const) {
      const list = doc[section];
      if (list === undefined || list === null) continue;
      if (!Array.isArray(list)) throw new ClusterError(`cannot read kubeconfig ${file}: ${section} is not a list`);
      const seen = new Set<string>();
      for (const [i, entry] of list.entries()) {
        if (!isObject(entry) || typeof entry.name !== 'string') throw new ClusterError(`cannot read kubeconfig ${file}: ${section}[${i}] has no name`);
        if (seen.has(entry.name)) throw new ClusterError(`cannot read kubeconfig ${file}: ${section} has "${entry.name}" twice`);
        seen.add(entry.name);
        const body = entry[field] ?? {};
        if (!isObject(body)) throw new ClusterError(`cannot read kubeconfig ${file}: ${section} "${entry.name}" has no ${field} mapping`);
        for (const key of STRING_FIELDS[field]) {
          const v = body[key];
          if (v !== undefined && v !== null && typeof v !== 'string') {
            throw new ClusterError(`cannot read kubeconfig ${file}: ${field} "${entry.name}" has ${key}: ${typeof v === 'object' ? 'a mapping or list' : String(v)}, which is not a string (quote it)`);
          }
        }
        if (!merged[section].has(entry.name)) merged[section].set(entry.name, { name: entry.name, body: absolutePaths(section, body, dir), file });
      }
    }
  }
  return merged;
}

/** The files kubectl would read, and how to describe where it looked. */
export function kubeconfigFiles(options: LocateOptions): { files: string[]; lookedAt: string } {
  if (options.kubeconfig) return { files: [options.kubeconfig], lookedAt: options.kubeconfig };
  const env = options.env ?? process.env;
  if (env.KUBECONFIG) {
    const files = env.KUBECONFIG.split(delimiter).filter((f) => f !== '');
    return { files: [...new Set(files)], lookedAt: `$KUBECONFIG (${files.join(', ') || 'empty'})` };
  }
  const file = join(options.home ?? env.HOME ?? homedir(), '.kube', 'config');
  return { files: [file], lookedAt: `~/.kube/config (${file})` };
}

const isEmpty = (m: MergedKubeconfig): boolean => !m.currentContext && !m.clusters.size && !m.users.size && !m.contexts.size;

/** kubectl's in-cluster config: the pod's API server address and service account, when they are all there. */
function inCluster(env: NodeJS.ProcessEnv, dir: string): ResolvedKubeconfig | undefined {
  const host = env.KUBERNETES_SERVICE_HOST;
  const port = env.KUBERNETES_SERVICE_PORT;
  const token = join(dir, 'token');
  if (!host || !port || !exists(token)) return undefined;
  let namespace = env.POD_NAMESPACE || '';
  if (!namespace) {
    try {
      namespace = readFileSync(join(dir, 'namespace'), 'utf8').trim();
    } catch {
      // no namespace file: default
    }
  }
  const hostPart = host.includes(':') ? `[${host}]` : host;
  return {
    sources: [dir],
    inCluster: true,
    contextName: 'in-cluster',
    namespace: namespace || 'default',
    clusterName: 'in-cluster',
    server: `https://${hostPart}:${port}`,
    cluster: { 'certificate-authority': join(dir, 'ca.crt') },
    userName: 'service-account',
    user: { tokenFile: token },
  };
}

/** Picks the context, cluster and user kubectl would use, or says clearly why there is none. */
export function resolveKubeconfig(options: LocateOptions = {}): ResolvedKubeconfig {
  const env = options.env ?? process.env;
  const o = options.overrides ?? {};
  const { files, lookedAt } = kubeconfigFiles(options);
  if (options.kubeconfig && !exists(options.kubeconfig)) throw new ClusterError(`cannot read kubeconfig ${options.kubeconfig}: no such file`);
  const merged = mergeKubeconfigs(files);
  if (isEmpty(merged) && !options.kubeconfig && !options.context && !o.cluster && !o.user) {
    const pod = inCluster(env, options.serviceAccountDir ?? SERVICE_ACCOUNT_DIR);
    if (pod) return withOverrides(pod, o, true);
    // kubectl --server https://... --token ... needs no kubeconfig at all.
    if (o.server) return withOverrides({ sources: [], inCluster: false, contextName: '', namespace: 'default', clusterName: '', server: '', cluster: {}, user: {} }, o, false);
    const what = merged.files.length ? `${merged.files.join(', ')} ${merged.files.length > 1 ? 'are' : 'is'} empty` : 'no kubeconfig found';
    throw new ClusterError(`${what}: looked at ${lookedAt}; pass --kubeconfig or set KUBECONFIG`);
  }
  const where = merged.files.join(', ') || lookedAt;
  const known = [...merged.contexts.keys()];
  const list = known.length ? ` (contexts: ${known.join(', ')})` : '';
  const contextName = options.context || merged.currentContext;
  // --cluster or --server stand in for a context, as in kubectl; a context that is named must exist.
  if (!contextName && !o.cluster && !o.server) throw new ClusterError(`the kubeconfig (${where}) sets no current-context; pass --context${list}`);
  const context = contextName ? merged.contexts.get(contextName) : undefined;
  if (contextName && !context) {
    if (options.context) throw new ClusterError(`context "${contextName}" does not exist in the kubeconfig${list}`);
    throw new ClusterError(`the kubeconfig's current-context "${contextName}" does not exist in ${where}${list}; pass --context`);
  }
  const ctx = context?.body ?? {};
  const clusterName = o.cluster || (typeof ctx.cluster === 'string' ? ctx.cluster : '');
  if (!clusterName && !o.server) throw new ClusterError(`the kubeconfig's context "${contextName}" names no cluster`);
  const cluster = clusterName ? merged.clusters.get(clusterName) : undefined;
  if (clusterName && !cluster) {
    if (o.cluster) throw new ClusterError(`cluster "${clusterName}" (--cluster) does not exist in ${where}`);
    if (!o.server) throw new ClusterError(`the kubeconfig's context "${contextName}" uses cluster "${clusterName}", which is not in ${where}`);
  }
  const userName = o.user || (typeof ctx.user === 'string' && ctx.user !== '' ? ctx.user : undefined);
  if (o.user && !merged.users.has(o.user)) throw new ClusterError(`user "${o.user}" (--user) does not exist in ${where}`);
  const user = userName ? merged.users.get(userName)?.body ?? {} : {};
  const namespace = typeof ctx.namespace === 'string' && ctx.namespace !== '' ? ctx.namespace : 'default';
  const server = o.server ? '' : checkServer(clusterName, cluster!.body.server);
  return withOverrides({
    sources: merged.files, inCluster: false, contextName: contextName ?? '', namespace, clusterName, server, cluster: cluster?.body ?? {}, userName, user,
  }, o, false);
}

/**
 * The flags over the kubeconfig, by client-go's rules: a flag replaces the field it names; --certificate-authority
 * or --insecure-skip-tls-verify replace all three of CA file, CA data and skip-verify; --server clears the
 * kubeconfig's tls-server-name unless --tls-server-name is given; impersonating groups or a uid needs a user.
 */
function withOverrides(r: ResolvedKubeconfig, o: ConnectionOverrides, inClusterConfig: boolean): ResolvedKubeconfig {
  const cluster: Raw = { ...r.cluster };
  if (o.server) cluster.server = o.server;
  if (o.insecureSkipTlsVerify || o.certificateAuthority) {
    cluster['insecure-skip-tls-verify'] = !!o.insecureSkipTlsVerify;
    cluster['certificate-authority'] = o.certificateAuthority;
    delete cluster['certificate-authority-data'];
  }
  if (o.tlsServerName || o.server) cluster['tls-server-name'] = o.tlsServerName;
  if (o.insecureSkipTlsVerify && o.certificateAuthority) {
    throw new ClusterError('--certificate-authority and --insecure-skip-tls-verify: specifying a root certificates file with the insecure flag is not allowed');
  }
  const user: Raw = { ...r.user };
  if (o.token) {
    user.token = o.token;
    // The service account's token file gives way to --token in-cluster, as in kubectl.
    if (inClusterConfig) delete user.tokenFile;
  }
  const who = r.userName ?? 'the user';
  for (const [flag, file, data, what] of [
    ['--client-certificate', 'client-certificate', 'client-certificate-data', 'client-cert'],
    ['--client-key', 'client-key', 'client-key-data', 'client-key'],
  ] as const) {
    const value = flag === '--client-certificate' ? o.clientCertificate : o.clientKey;
    if (!value) continue;
    if (str(user[data])) throw new ClusterError(`${flag} and the kubeconfig's ${data} are both set for user "${who}" (kubectl: ${what}-data and ${what} are both specified)`);
    user[file] = value;
  }
  if (o.as) user.as = o.as;
  if (o.asGroup?.length) user['as-groups'] = o.asGroup;
  if (o.asUid) user['as-uid'] = o.asUid;
  const server = o.server ? checkServer(r.clusterName || '--server', o.server, '--server') : r.server;
  return { ...r, server, cluster, user, impersonate: impersonation(user, who) };
}

function impersonation(user: Raw, who: string): Impersonation | undefined {
  const groups = Array.isArray(user['as-groups']) ? user['as-groups'].filter((g: unknown): g is string => typeof g === 'string') : [];
  const uid = str(user['as-uid']);
  const extra: Record<string, string[]> = {};
  if (isObject(user['as-user-extra'])) {
    for (const [k, v] of Object.entries(user['as-user-extra'])) if (Array.isArray(v)) extra[k] = v.map(String);
  }
  const name = str(user.as);
  if (!name) {
    if (groups.length || uid || Object.keys(extra).length) throw new ClusterError(`requesting uid, groups or user-extra for ${who} without impersonating a user: add --as USER`);
    return undefined;
  }
  return { user: name, groups, uid, extra };
}

function checkServer(clusterName: string, server: unknown, flag?: string): string {
  const where = flag ? `${flag} ${JSON.stringify(server)}` : `the kubeconfig's cluster "${clusterName}" has server ${JSON.stringify(server)} which`;
  if (typeof server !== 'string' || server.trim() === '') throw new ClusterError(`the kubeconfig's cluster "${clusterName}" has no server`);
  let url: URL | undefined;
  try {
    url = new URL(server);
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:') || !url.hostname) {
    throw new ClusterError(`${where} is not a URL (expected https://HOST[:PORT])`);
  }
  return server.replace(/\/+$/, '');
}

export interface ExecConfig {
  command: string;
  args?: string[];
  env?: { name: string; value: string }[];
  apiVersion?: string;
  interactiveMode?: string;
  installHint?: string;
}

export interface ExecCredentialStatus {
  token?: string;
  clientCertificateData?: string;
  clientKeyData?: string;
  expirationTimestamp?: string;
}

const MAX_PLUGIN_OUTPUT = 1 << 20;

/**
 * Runs an exec credential plugin as kubectl does (KUBERNETES_EXEC_INFO set, its stderr shown to the user, stdin
 * only when interactive), but never longer than `timeoutMs`: past it the plugin and its children are killed.
 */
export function runExecPlugin(exec: ExecConfig, userName: string, timeoutMs: number): Promise<ExecCredentialStatus> {
  const name = `the credential plugin "${exec.command}" of user "${userName}"`;
  const interactive = exec.interactiveMode !== 'Never' && !!process.stdin.isTTY;
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const e of exec.env ?? []) if (e && typeof e.name === 'string') env[e.name] = String(e.value ?? '');
  env.KUBERNETES_EXEC_INFO = JSON.stringify({
    kind: 'ExecCredential', apiVersion: exec.apiVersion ?? 'client.authentication.k8s.io/v1', spec: { interactive },
  });
  return new Promise((resolve, reject) => {
    let settled = false;
    const finish = (err: Error | undefined, value?: ExecCredentialStatus) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (err) reject(err);
      else resolve(value!);
    };
    // Its own process group (unless it needs the terminal), so a timeout kills the children a script started too.
    const child = spawn(exec.command, (exec.args ?? []).map(String), { env, stdio: [interactive ? 'inherit' : 'ignore', 'pipe', 'inherit'], detached: !interactive });
    const kill = () => {
      try {
        if (child.pid !== undefined) process.kill(interactive ? child.pid : -child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
      child.stdout?.destroy();
      child.unref();
    };
    const timer = setTimeout(() => {
      kill();
      finish(new ClusterError(`${name} did not finish within ${timeoutMs / 1000}s; check that it works on its own, or raise --request-timeout`));
    }, timeoutMs);
    let out = '';
    child.stdout!.setEncoding('utf8');
    child.stdout!.on('data', (d: string) => {
      out += d;
      if (out.length > MAX_PLUGIN_OUTPUT) {
        kill();
        finish(new ClusterError(`${name} printed more than 1 MiB`));
      }
    });
    child.on('error', (err: NodeJS.ErrnoException) => {
      const hint = exec.installHint ? ` (${exec.installHint.trim().split('\n')[0]})` : '';
      finish(new ClusterError(`${name} could not be run: ${err.code === 'ENOENT' ? 'not found' : err.message}${hint}`));
    });
    child.on('close', (code, signal) => {
      if (code !== 0) {
        finish(new ClusterError(`${name} failed (${signal ? `killed by ${signal}` : `exit code ${code}`})`));
        return;
      }
      let parsed: unknown;
      try {
        parsed = JSON.parse(out);
      } catch {
        parsed = undefined;
      }
      const status = isObject(parsed) ? parsed.status : undefined;
      if (!isObject(parsed) || parsed.kind !== 'ExecCredential' || !isObject(status)) {
        finish(new ClusterError(`${name} did not print an ExecCredential (JSON with a status)`));
        return;
      }
      finish(undefined, status as ExecCredentialStatus);
    });
  });
}

/** Runs the user's exec plugin once per run (again only when its credential expires), shared by concurrent requests. */
class ExecAuthenticator {
  private cached?: { status: ExecCredentialStatus; until: number };
  private running?: Promise<ExecCredentialStatus>;

  constructor(private readonly userName: string, private readonly exec: ExecConfig, private readonly boundMs: () => number) {}

  isAuthProvider(user: User): boolean {
    return user.name === this.userName;
  }

  async applyAuthentication(_user: User, opts: { headers?: Record<string, unknown>; cert?: unknown; key?: unknown }): Promise<void> {
    const status = await this.credential();
    if (status.clientCertificateData) opts.cert = status.clientCertificateData;
    if (status.clientKeyData) opts.key = status.clientKeyData;
    if (status.token) opts.headers = { ...(opts.headers ?? {}), Authorization: `Bearer ${status.token}` };
  }

  private async credential(): Promise<ExecCredentialStatus> {
    if (this.cached && this.cached.until > Date.now()) return this.cached.status;
    this.running ??= runExecPlugin(this.exec, this.userName, this.boundMs()).finally(() => { this.running = undefined; });
    const status = await this.running;
    const expires = status.expirationTimestamp ? Date.parse(status.expirationTimestamp) : NaN;
    this.cached = { status, until: Number.isNaN(expires) ? Infinity : expires };
    return status;
  }
}

/** TLS options of one connection, in node:https's terms. */
interface TlsMaterial {
  ca?: Buffer;
  cert?: Buffer | string;
  key?: Buffer | string;
  servername?: string;
  /** Only ever false (insecure-skip-tls-verify); otherwise Node's default applies, as with client-node. */
  rejectUnauthorized?: false;
}

/** What one request needs to authenticate: headers and the TLS material of its connection. */
interface RequestCredentials {
  headers: Record<string, string>;
  tls: TlsMaterial;
}

/**
 * Credentials for each request of a run. Static ones (certificates, tokens, basic auth) are read once; an exec
 * plugin's or an auth provider's are asked for on every request, since they expire and refresh.
 */
export interface Authenticator {
  credentials(): Promise<RequestCredentials>;
  /**
   * With the cluster's proxy-url: builds the run's one agent through that proxy, as client-node does; undefined
   * for a direct connection.
   */
  proxyAgent?: (options: import('node:https').AgentOptions) => Promise<import('node:http').Agent>;
}

/** A file's bytes or base64 data, as client-node reads certificate fields (the file wins). */
function fileOrData(file: unknown, data: unknown): Buffer | undefined {
  if (str(file)) return readFileSync(file as string);
  if (str(data)) return Buffer.from(data as string, 'base64');
  return undefined;
}

/** A token from the user entry, or its token file (read once, as kubectl reads it). */
function userToken(r: ResolvedKubeconfig): string | undefined {
  const u = r.user;
  const token = str(u.token);
  if (token || !str(u.tokenFile)) return token;
  try {
    return readFileSync(u.tokenFile, 'utf8').trim();
  } catch (err) {
    throw new ClusterError(`cannot read the token file ${u.tokenFile} of user "${r.userName}": ${(err as Error).message}`);
  }
}

/**
 * The authenticator for the resolved context. Client certificates, tokens, basic auth and exec plugins (through our
 * own bounded runner) need nothing from @kubernetes/client-node; auth providers (OIDC, gcp, azure) and proxy-url
 * load it (it takes about 0.35s and 70 MB to import), as does nothing else.
 */
export async function authenticator(r: ResolvedKubeconfig, execBoundMs: () => number): Promise<Authenticator> {
  if (isObject(r.user['auth-provider']) || str(r.cluster['proxy-url'])) return libraryAuthenticator(r, execBoundMs);
  const token = userToken(r);
  const u = r.user;
  const c = r.cluster;
  const exec = isObject(u.exec) ? execAuthenticator(r) : undefined;
  const execRunner = exec ? new ExecAuthenticator(r.userName ?? '', exec, execBoundMs) : undefined;
  // Read on the first request, as client-node reads them (an unreadable file is that request's error).
  let fixed: TlsMaterial | undefined;
  const username = str(u.username);
  return {
    async credentials() {
      fixed ??= {
        ca: fileOrData(c['certificate-authority'], c['certificate-authority-data']),
        cert: fileOrData(u['client-certificate'], u['client-certificate-data']),
        key: fileOrData(u['client-key'], u['client-key-data']),
        servername: str(c['tls-server-name']),
        ...(insecure(r) ? { rejectUnauthorized: false as const } : {}),
      };
      const tls: TlsMaterial = { ...fixed };
      const headers: Record<string, string> = {};
      if (execRunner) {
        const got: { headers?: Record<string, unknown>; cert?: unknown; key?: unknown } = {};
        await execRunner.applyAuthentication({ name: r.userName ?? '' } as User, got);
        if (typeof got.cert === 'string') tls.cert = got.cert;
        if (typeof got.key === 'string') tls.key = got.key;
        if (typeof got.headers?.Authorization === 'string') headers.Authorization = got.headers.Authorization;
      }
      // client-node's order: a static token wins over the plugin's; basic auth only when no token was sent.
      if (token) headers.Authorization = `Bearer ${token}`;
      if (username && !headers.Authorization) headers.Authorization = `Basic ${Buffer.from(`${username}:${str(u.password) ?? ''}`).toString('base64')}`;
      return { headers, tls };
    },
  };
}

/** TLS settings mean nothing over plain http (kubectl proxy); client-node refuses http unless skip-verify is set. */
const insecure = (r: ResolvedKubeconfig): boolean => r.cluster['insecure-skip-tls-verify'] === true || r.server.startsWith('http:');

function execAuthenticator(r: ResolvedKubeconfig): ExecConfig {
  const exec = r.user.exec;
  if (typeof exec.command !== 'string' || exec.command === '') throw new ClusterError(`the kubeconfig's user "${r.userName ?? ''}" has an exec plugin without a command`);
  return exec as ExecConfig;
}

/** Auth providers and proxies go through client-node's KubeConfig; only its agent is replaced by the run's pooled one. */
async function libraryAuthenticator(r: ResolvedKubeconfig, execBoundMs: () => number): Promise<Authenticator> {
  const kc = await toKubeConfig(r, execBoundMs);
  const credentials = async (): Promise<RequestCredentials & { agent?: unknown }> => {
    const opts: import('node:https').RequestOptions & { headers: Record<string, unknown> } = { headers: {} };
    await kc.applyToHTTPSOptions(opts);
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(opts.headers)) if (typeof v === 'string') headers[k] = v;
    if (opts.auth && !headers.Authorization) headers.Authorization = `Basic ${Buffer.from(opts.auth).toString('base64')}`;
    const tls: TlsMaterial = {
      ca: opts.ca as Buffer | undefined, cert: opts.cert as Buffer | string | undefined, key: opts.key as Buffer | string | undefined,
      servername: opts.servername, ...(opts.rejectUnauthorized === false ? { rejectUnauthorized: false as const } : {}),
    };
    return { headers, tls, agent: opts.agent };
  };
  const proxied = !!str(r.cluster['proxy-url']);
  return {
    async credentials() {
      const { headers, tls } = await credentials();
      return { headers, tls };
    },
    proxyAgent: proxied ? async (options) => {
      // client-node builds a proxy agent per call and keeps its constructor private; one built with keep-alive
      // options serves the whole run. Without that method, the agent of one call is reused (still one pool).
      const create = (kc as unknown as { createAgent?: (cluster: unknown, o: unknown) => import('node:http').Agent }).createAgent;
      if (typeof create === 'function') return create.call(kc, kc.getCurrentCluster(), options);
      return (await credentials()).agent as import('node:http').Agent;
    } : undefined,
  };
}

/**
 * Hands the one context we use to client-node's KubeConfig (auth providers, proxies).
 * Exec plugins run through our own runner: client-node's has no time bound and leaves the plugin's stdin open.
 */
async function toKubeConfig(r: ResolvedKubeconfig, execBoundMs: () => number): Promise<KubeConfig> {
  const { KubeConfig } = await import('@kubernetes/client-node');
  const kc = new KubeConfig();
  const c = r.cluster;
  // client-node wants names; with --server alone, kubectl has none.
  const clusterName = r.clusterName || 'cluster';
  const contextName = r.contextName || 'context';
  const cluster: Cluster = {
    name: clusterName,
    server: r.server,
    caData: str(c['certificate-authority-data']),
    caFile: str(c['certificate-authority']),
    skipTLSVerify: insecure(r),
    tlsServerName: str(c['tls-server-name']),
    proxyUrl: str(c['proxy-url']),
  };
  const u = r.user;
  const token = userToken(r);
  const userName = r.userName ?? '';
  const user: User = {
    name: userName,
    token,
    certData: str(u['client-certificate-data']),
    certFile: str(u['client-certificate']),
    keyData: str(u['client-key-data']),
    keyFile: str(u['client-key']),
    authProvider: isObject(u['auth-provider']) ? u['auth-provider'] : undefined,
    username: str(u.username),
    password: str(u.password),
  };
  if (isObject(u.exec) && !user.authProvider) kc.addAuthenticator(new ExecAuthenticator(userName, execAuthenticator(r), execBoundMs));
  const context: Context = { name: contextName, cluster: clusterName, user: userName, namespace: r.namespace };
  kc.loadFromOptions({ clusters: [cluster], users: [user], contexts: [context], currentContext: contextName });
  return kc;
}
