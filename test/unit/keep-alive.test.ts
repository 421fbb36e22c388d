// One pooled keep-alive connection per client: requests reuse it, concurrent ones are bounded, a connection the
// server closed is replaced, and the process does not wait on idle connections to exit.
import { afterEach, describe, expect, it } from 'vitest';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeClient } from '../../src/cluster/kube-client.js';
import { runBinaryAsync } from '../cli/run-binary.js';

interface CountingServer {
  kubeconfig: string;
  /** Connections opened to the server. */
  connections: number;
  /** Most requests in flight at once. */
  peak: number;
  sockets: Set<Socket>;
  close(): Promise<void>;
}

let server: CountingServer | undefined;
afterEach(async () => { await server?.close(); server = undefined; });

/** A server that keeps idle connections open for a minute (kube-apiserver keeps them 90s) and answers slowly enough to overlap. */
async function countingServer(answer: (req: IncomingMessage, res: ServerResponse) => void): Promise<CountingServer> {
  let inFlight = 0;
  const sockets = new Set<Socket>();
  const s: Server = createServer((req, res) => {
    inFlight++;
    state.peak = Math.max(state.peak, inFlight);
    res.on('finish', () => { inFlight--; });
    setTimeout(() => answer(req, res), 20);
  });
  s.keepAliveTimeout = 60_000;
  const state: CountingServer = {
    kubeconfig: '', connections: 0, peak: 0, sockets,
    close: () => new Promise<void>((resolve) => { for (const k of sockets) k.destroy(); s.close(() => resolve()); }),
  };
  s.on('connection', (k: Socket) => { state.connections++; sockets.add(k); k.on('close', () => sockets.delete(k)); });
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const dir = mkdtempSync(join(tmpdir(), 'vd-keepalive-'));
  state.kubeconfig = join(dir, 'kubeconfig');
  writeFileSync(state.kubeconfig, JSON.stringify({
    apiVersion: 'v1', kind: 'Config', 'current-context': 'c',
    clusters: [{ name: 'c', cluster: { server: `http://127.0.0.1:${(s.address() as AddressInfo).port}` } }],
    users: [{ name: 'u', user: { token: 't' } }],
    contexts: [{ name: 'c', context: { cluster: 'c', user: 'u' } }],
  }));
  return state;
}

const json = (res: ServerResponse, status: number, body: unknown) => {
  res.writeHead(status, { 'Content-Type': 'application/json' });
  res.end(JSON.stringify(body));
};
const version = (req: IncomingMessage, res: ServerResponse) => (req.url === '/version'
  ? json(res, 200, { major: '1', minor: '33', gitVersion: 'v1.33.13' })
  : json(res, 404, { kind: 'Status', reason: 'NotFound', message: 'not found', details: { name: req.url?.split('/').at(-1) }, code: 404 }));

describe('one pooled connection', () => {
  it('sequential requests share one connection, and each still carries the credentials', async () => {
    const auth: string[] = [];
    server = await countingServer((req, res) => { auth.push(String(req.headers.authorization)); version(req, res); });
    const c = await KubeClient.load({ kubeconfig: server.kubeconfig, requestTimeoutMs: 5000 });
    for (let i = 0; i < 10; i++) await c.get('/version');
    expect(server.connections).toBe(1);
    expect(auth).toEqual(Array(10).fill('Bearer t'));
    await c.close();
  });

  it('concurrent requests open at most maxConnections connections', async () => {
    server = await countingServer(version);
    const c = await KubeClient.load({ kubeconfig: server.kubeconfig, requestTimeoutMs: 5000, maxConnections: 3 });
    await Promise.all(Array.from({ length: 20 }, () => c.get('/version')));
    expect(server.connections).toBe(3);
    expect(server.peak).toBe(3);
    await c.close();
  });

  it('a kept-alive connection the server dropped is replaced, and the read is sent again', async () => {
    let answered = 0;
    server = await countingServer((req, res) => { answered++; version(req, res); });
    const c = await KubeClient.load({ kubeconfig: server.kubeconfig, requestTimeoutMs: 5000 });
    await c.get('/version');
    // The server resets its end of the idle connection; the client learns of it only when it writes.
    for (const k of server.sockets) k.resetAndDestroy();
    expect(await c.get('/version')).toMatchObject({ gitVersion: 'v1.33.13' });
    expect(answered).toBe(2);
    await c.close();
  });

  it('the plugin exits at once after its last answer, though the server would keep the connection a minute', async () => {
    server = await countingServer(version);
    const started = Date.now();
    const r = await runBinaryAsync(['diagnose', 'pod/ghost', '-n', 'x', '--kubeconfig', server.kubeconfig], {}, { timeoutMs: 30_000 });
    expect(r.timedOut).toBe(false);
    expect(r.stderr).toContain('"ghost" not found');
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(server.connections).toBe(1);
  }, 40_000);
});
