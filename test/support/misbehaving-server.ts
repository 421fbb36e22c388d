// A small API server on 127.0.0.1 for the faults a real kube-apiserver will not produce on demand: empty or
// truncated bodies, HTML, endless continue tokens, slow drips, 429s, huge bodies. It serves a well-behaved
// default (GET/LIST of the objects it is given, 404 Status for the rest) that each test overrides where it
// misbehaves, and logs every request so tests can assert that no write was sent.
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { TLSSocket } from 'node:tls';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface LoggedRequest {
  method: string;
  /** Path with query, as sent. */
  url: string;
  path: string;
  query: URLSearchParams;
  body: string;
  /** Request headers (lower-case names), e.g. to see the Authorization a credential plugin produced. */
  headers: import('node:http').IncomingHttpHeaders;
  /** Over TLS: the CN of the client certificate presented, if any. */
  clientCN?: string;
}

/** Serve https with this key and certificate, asking for (not requiring) a client certificate signed by `ca`. */
export interface TlsOptions {
  key: string;
  cert: string;
  ca: string;
}

export interface Reply {
  status?: number;
  headers?: Record<string, string>;
  /** A string or object (sent as JSON). */
  body?: unknown;
  /** Send the body one chunk every `dripMs` ms, `dripBytes` bytes at a time. */
  dripMs?: number;
  dripBytes?: number;
  /** Never answer. */
  hang?: boolean;
}

/** Return a Reply to misbehave, or undefined for the default answer. */
export type Override = (req: LoggedRequest) => Reply | undefined | Promise<Reply | undefined>;

export interface FakeObjects {
  /** API path of the collection (e.g. /api/v1/nodes, /api/v1/namespaces/shop/pods) → its items. */
  [collectionPath: string]: unknown[];
}

export interface MisbehavingServer {
  url: string;
  requests: LoggedRequest[];
  /** Requests other than GET (writes). */
  writes(): LoggedRequest[];
  kubeconfig: string;
  close(): Promise<void>;
}

export const status = (code: number, reason: string, message: string): Reply => ({
  status: code,
  body: { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason, message, code },
});

/** Items of a namespaced collection also answer the all-namespaces path (/api/v1/pods). */
function collection(objects: FakeObjects, path: string): unknown[] | undefined {
  if (objects[path]) return objects[path];
  const m = /^(\/apis?\/.+?)\/([a-z]+)$/.exec(path);
  if (!m) return undefined;
  const [, group, resource] = m;
  const all: unknown[] = [];
  let found = false;
  for (const [p, items] of Object.entries(objects)) {
    if (p.startsWith(`${group}/namespaces/`) && p.endsWith(`/${resource}`)) {
      found = true;
      all.push(...items);
    }
  }
  return found ? all : undefined;
}

/** Collections a cluster always serves: empty unless the test gives items. Longhorn's group is not served. */
const BUILT_IN = /^\/(api\/v1|apis\/storage\.k8s\.io\/v1|apis\/coordination\.k8s\.io\/v1)(\/namespaces\/[^/]+)?\/(nodes|pods|persistentvolumeclaims|persistentvolumes|volumeattachments|csinodes|csidrivers|storageclasses|leases|events)$/;

function defaultReply(objects: FakeObjects, req: LoggedRequest): Reply {
  if (req.path === '/version') return { body: { major: '1', minor: '33', gitVersion: 'v1.33.13' } };
  const list = collection(objects, req.path) ?? (BUILT_IN.test(req.path) ? [] : undefined);
  if (list && req.method === 'GET') return { body: { kind: listKind(req.path), apiVersion: 'v1', metadata: { resourceVersion: '1' }, items: list } };
  const slash = req.path.lastIndexOf('/');
  const parent = collection(objects, req.path.slice(0, slash));
  const name = decodeURIComponent(req.path.slice(slash + 1));
  const obj = parent?.find((o) => (o as { metadata?: { name?: string } })?.metadata?.name === name);
  if (obj && req.method === 'GET') return { body: obj };
  if (obj) return { body: obj }; // writes "succeed" by echoing the object; tests assert on the log
  // A group the server does not serve (e.g. /apis/longhorn.io) is a plain-text 404, as kube-apiserver answers it.
  if (/^\/apis\/[^/]+(\/[^/]+)?$/.test(req.path)) return { status: 404, headers: { 'Content-Type': 'text/plain; charset=utf-8' }, body: '404 page not found\n' };
  return notFound(req.path.split('/').at(-2) ?? '', name);
}

/** kube-apiserver's 404 for a named object that does not exist: the only answer that proves absence. */
export const notFound = (resource: string, name: string): Reply => ({
  status: 404,
  body: { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'NotFound', message: `${resource} "${name}" not found`, details: { name, kind: resource }, code: 404 },
});

const KINDS: Record<string, string> = {
  nodes: 'Node', pods: 'Pod', persistentvolumeclaims: 'PersistentVolumeClaim', persistentvolumes: 'PersistentVolume',
  volumeattachments: 'VolumeAttachment', csinodes: 'CSINode', csidrivers: 'CSIDriver', storageclasses: 'StorageClass',
  leases: 'Lease', events: 'Event', volumes: 'Volume', replicas: 'Replica', engines: 'Engine', settings: 'Setting',
};

/** The kind of a LIST's answer, as kube-apiserver names it (NodeList, PodList, ...). */
export function listKind(path: string): string {
  const plural = path.split('/').at(-1) ?? '';
  return `${KINDS[plural] ?? 'Unknown'}List`;
}

async function send(res: ServerResponse, reply: Reply): Promise<void> {
  if (reply.hang) return;
  const body = reply.body === undefined ? '' : typeof reply.body === 'string' || Buffer.isBuffer(reply.body) ? reply.body : JSON.stringify(reply.body);
  const buf = Buffer.from(body as string);
  res.writeHead(reply.status ?? 200, { 'Content-Type': 'application/json', ...(reply.headers ?? {}) });
  if (!reply.dripMs) {
    res.end(buf);
    return;
  }
  const step = reply.dripBytes ?? 1;
  for (let i = 0; i < buf.length && !res.destroyed; i += step) {
    res.write(buf.subarray(i, i + step));
    await new Promise((r) => setTimeout(r, reply.dripMs));
  }
  res.end();
}

/** Starts the server on a free port of 127.0.0.1 and writes a kubeconfig (token auth) that points at it. */
export async function startMisbehavingServer(objects: FakeObjects = {}, override?: Override, tls?: TlsOptions): Promise<MisbehavingServer> {
  const requests: LoggedRequest[] = [];
  const sockets = new Set<import('node:net').Socket>();
  const handler = (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const u = new URL(req.url ?? '/', 'http://127.0.0.1');
      const logged: LoggedRequest = { method: req.method ?? 'GET', url: req.url ?? '/', path: u.pathname, query: u.searchParams, body: Buffer.concat(chunks).toString('utf8'), headers: req.headers };
      const peer = tls ? (req.socket as TLSSocket).getPeerCertificate() : undefined;
      if (peer?.subject?.CN) logged.clientCN = String(peer.subject.CN);
      requests.push(logged);
      try {
        await send(res, (await override?.(logged)) ?? defaultReply(objects, logged));
      } catch {
        res.destroy();
      }
    });
  };
  const server: Server = tls
    ? createTlsServer({ ...tls, requestCert: true, rejectUnauthorized: false }, handler)
    : createServer(handler);
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `${tls ? 'https' : 'http'}://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const dir = mkdtempSync(join(tmpdir(), 'vd-fake-'));
  const kubeconfig = join(dir, 'kubeconfig');
  writeFileSync(kubeconfig, JSON.stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'fake', cluster: { server: url, 'insecure-skip-tls-verify': true } }],
    users: [{ name: 'fake', user: { token: 'fake-token' } }],
    contexts: [{ name: 'fake', context: { cluster: 'fake', user: 'fake', namespace: 'default' } }],
    'current-context': 'fake',
  }));
  return {
    url,
    requests,
    writes: () => requests.filter((r) => r.method !== 'GET'),
    kubeconfig,
    close: () => new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    }),
  };
}
