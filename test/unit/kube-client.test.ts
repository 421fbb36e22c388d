import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiError, KubeClient } from '../../src/cluster/kube-client.js';
import { ClusterError, NotFoundError, UnreadableAnswerError, UsageError } from '../../src/errors.js';
import { MisbehavingServer, Override, startMisbehavingServer, status } from '../support/misbehaving-server.js';

let server: MisbehavingServer | undefined;
afterEach(async () => { await server?.close(); server = undefined; });

const node = (name: string) => ({ apiVersion: 'v1', kind: 'Node', metadata: { name, uid: `uid-${name}` } });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function client(override?: Override, options: Partial<Parameters<typeof KubeClient.load>[0]> = {}): Promise<KubeClient> {
  server = await startMisbehavingServer({ '/api/v1/nodes': [node('a')] }, override);
  return KubeClient.load({ kubeconfig: server.kubeconfig, requestTimeoutMs: 5000, ...options });
}

async function failure(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected a failure');
}

const listAll = async (c: KubeClient, path: string) => {
  const items: unknown[] = [];
  await c.list(path, {}, (page) => items.push(...page));
  return items;
};

describe('answers that cannot be understood are UnreadableAnswerError, never "absent"', () => {
  for (const [what, body] of [['an empty body', ''], ['truncated JSON', '{"kind":"Node","metadata":{"na'], ['HTML', '<!DOCTYPE html><html>proxy login</html>']] as const) {
    it(`GET with ${what} on 200`, async () => {
      const c = await client((r) => (r.path === '/api/v1/nodes/a' ? { status: 200, body } : undefined));
      const err = await failure(c.get('/api/v1/nodes/a'));
      expect(err).toBeInstanceOf(UnreadableAnswerError);
      expect(err.message).toContain('GET /api/v1/nodes/a');
    });
  }

  it('a JSON answer to a GET that is not an object', async () => {
    const c = await client((r) => (r.path === '/api/v1/nodes/a' ? { body: 'null' } : undefined));
    expect(await failure(c.get('/api/v1/nodes/a'))).toBeInstanceOf(UnreadableAnswerError);
  });

  it('HTML for /version', async () => {
    const c = await client((r) => (r.path === '/version' ? { body: '<html>hello</html>', headers: { 'Content-Type': 'text/html' } } : undefined));
    const err = await failure(c.get('/version'));
    expect(err).toBeInstanceOf(UnreadableAnswerError);
    expect(err.message).toContain('/version');
    expect(err.message).toContain('not JSON');
  });

  it('server text in messages is kept exact but short (the terminal renderers escape it)', async () => {
    const c = await client((r) => (r.path === '/version' ? { body: `\u001b]0;pwned\u0007<html>${'x'.repeat(500)}` } : undefined));
    const err = await failure(c.get('/version'));
    expect(err.message).toContain('\u001b]0;pwned\u0007');
    expect(err.message.length).toBeLessThan(300);
  });
});

describe('GET: absent only on a 404 Status NotFound for that name', () => {
  it('404 Status NotFound is undefined', async () => {
    const c = await client();
    expect(await c.get('/api/v1/nodes/missing')).toBeUndefined();
    expect(await c.get('/api/v1/nodes/a')).toMatchObject({ metadata: { name: 'a' } });
  });

  it('404 Status NotFound naming this object is undefined', async () => {
    const c = await client((r) => (r.path === '/api/v1/nodes/b' ? { status: 404, body: { kind: 'Status', reason: 'NotFound', details: { name: 'b', kind: 'nodes' } } } : undefined));
    expect(await c.get('/api/v1/nodes/b')).toBeUndefined();
  });

  it('404 Status NotFound naming another object is unreadable', async () => {
    const c = await client((r) => (r.path === '/api/v1/nodes/b' ? { status: 404, body: { kind: 'Status', reason: 'NotFound', details: { name: 'c', kind: 'nodes' } } } : undefined));
    expect(await failure(c.get('/api/v1/nodes/b'))).toBeInstanceOf(UnreadableAnswerError);
  });

  it('404 with a plain-text body is "not served", not "absent"', async () => {
    const c = await client((r) => (r.path.startsWith('/apis/longhorn.io') ? { status: 404, body: '404 page not found', headers: { 'Content-Type': 'text/plain' } } : undefined));
    const err = await failure(c.get('/apis/longhorn.io'));
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).status).toBe(404);
  });

  it('discover(): a group the server does not serve (plain-text 404) is undefined; other failures are not', async () => {
    const c = await client((r) => (r.path === '/apis/longhorn.io' ? { status: 404, body: '404 page not found' } : r.path === '/apis/broken.io' ? { status: 200, body: '<html>' } : undefined));
    expect(await c.discover('/apis/longhorn.io')).toBeUndefined();
    expect(await c.discover('/apis/other.io')).toBeUndefined();
    expect(await failure(c.discover('/apis/broken.io'))).toBeInstanceOf(UnreadableAnswerError);
  });

  it('a 404 Status with another reason is an ApiError', async () => {
    const c = await client((r) => (r.path === '/api/v1/nodes/b' ? status(404, 'Gone', 'weird') : undefined));
    expect(await failure(c.get('/api/v1/nodes/b'))).toBeInstanceOf(ApiError);
  });

  it('a missing object is a NotFoundError in kubectl\'s words, not a UsageError', () => {
    const err = NotFoundError.of('pods', 'web-0', 'shop');
    expect(err).toBeInstanceOf(NotFoundError);
    expect(err).not.toBeInstanceOf(UsageError);
    expect(err.message).toBe('pods "web-0" not found in namespace "shop"');
  });
});

describe('LIST pages', () => {
  it('items null is an empty page (Go encodes an empty slice as null)', async () => {
    const c = await client((r) => (r.path === '/api/v1/pods' ? { body: { kind: 'PodList', metadata: {}, items: null } } : undefined));
    expect(await listAll(c, '/api/v1/pods')).toEqual([]);
  });

  for (const [what, body] of [
    ['no items', { kind: 'PodList', metadata: {} }],
    ['items that are not a list', { kind: 'PodList', items: { a: 1 } }],
    ['a Status instead of a list', { kind: 'Status', status: 'Success' }],
    ['an array', []],
    ['an empty body', ''],
  ] as const) {
    it(`a page with ${what} is unreadable`, async () => {
      const c = await client((r) => (r.path === '/api/v1/pods' ? { body } : undefined));
      const err = await failure(listAll(c, '/api/v1/pods'));
      expect(err).toBeInstanceOf(UnreadableAnswerError);
      expect(err.message).toContain('/api/v1/pods');
    });
  }

  it('a page read item by item means what JSON.parse of the whole page means, in odd spellings too', async () => {
    const pages: Record<string, string> = {
      // Two items keys, the second spelled with an escape: JSON.parse keeps the last.
      '/api/v1/pods': '{"kind":"PodList","metadata":{},"items":[{"a":1}],"\\u0069tems":[{"b":2}]}',
      // A no-break space after an item is not JSON whitespace.
      '/api/v1/nodes': '{"kind":"NodeList","metadata":{},"items":[{"a":1}\u00a0]}',
      '/api/v1/persistentvolumes': '{"kind":"PersistentVolumeList","metadata":{"continue":""},"items":[ {"s":"]},\\"["} ,\n{"t":[1,{"u":null}]} ]}',
    };
    const c = await client((r) => (pages[r.path] !== undefined ? { body: pages[r.path], headers: { 'Content-Type': 'application/json' } } : undefined));
    expect(await listAll(c, '/api/v1/pods')).toEqual([{ b: 2 }]);
    const err = await failure(listAll(c, '/api/v1/nodes'));
    expect(err).toBeInstanceOf(UnreadableAnswerError);
    expect(err.message).toContain('is not JSON');
    expect(await listAll(c, '/api/v1/persistentvolumes')).toEqual([{ s: ']},"[' }, { t: [1, { u: null }] }]);
  });

  it('follows continue tokens to the end', async () => {
    const c = await client((r) => {
      if (r.path !== '/api/v1/nodes') return undefined;
      const page = Number(r.query.get('continue') ?? '0');
      return { body: { kind: 'NodeList', metadata: { continue: page < 2 ? String(page + 1) : '' }, items: [node(`n${page}`)] } };
    });
    expect((await listAll(c, '/api/v1/nodes')).length).toBe(3);
  });

  it('a repeated continue token ends the LIST as unreadable', async () => {
    const c = await client((r) => (r.path === '/api/v1/nodes' ? { body: { kind: 'NodeList', metadata: { continue: 'again' }, items: [] } } : undefined));
    const err = await failure(listAll(c, '/api/v1/nodes'));
    expect(err).toBeInstanceOf(UnreadableAnswerError);
    expect(err.message).toContain('repeated a continue token');
    expect(server!.requests.filter((r) => r.path === '/api/v1/nodes')).toHaveLength(2);
  });

  it('endless fresh continue tokens stop at the page cap', async () => {
    let n = 0;
    const c = await client((r) => (r.path === '/api/v1/nodes' ? { body: { kind: 'NodeList', metadata: { continue: `t${n++}` }, items: [] } } : undefined), { maxPages: 40 });
    const err = await failure(listAll(c, '/api/v1/nodes'));
    expect(err).toBeInstanceOf(UnreadableAnswerError);
    expect(err.message).toContain('did not end after 40 pages');
    expect(server!.requests).toHaveLength(40);
  });
});

describe('time bounds', () => {
  it('--request-timeout bounds the whole answer: a server dripping bytes fails after the timeout', async () => {
    const c = await client((r) => (r.path === '/api/v1/nodes' ? { body: JSON.stringify({ items: [], pad: 'x'.repeat(200) }), dripMs: 50, dripBytes: 1 } : undefined), { requestTimeoutMs: 800 });
    const started = Date.now();
    const err = await failure(listAll(c, '/api/v1/nodes'));
    expect(err).toBeInstanceOf(ClusterError);
    expect(err.message).toContain('GET /api/v1/nodes timed out after 800ms (--request-timeout)');
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it('a server that never answers times out', async () => {
    const c = await client((r) => (r.path === '/version' ? { hang: true } : undefined), { requestTimeoutMs: 500 });
    expect((await failure(c.get('/version'))).message).toContain('timed out after 500ms');
  });

  it('reading is bounded by 10 × the request timeout, even when each request is fast enough', async () => {
    let n = 0;
    const c = await client(async (r) => {
      if (r.path !== '/api/v1/nodes') return undefined;
      await sleep(150);
      return { body: { kind: 'NodeList', metadata: { continue: `t${n++}` }, items: [] } };
    }, { requestTimeoutMs: 300 });
    const started = Date.now();
    const err = await failure(c.withDeadline(() => listAll(c, '/api/v1/nodes')));
    expect(err).toBeInstanceOf(ClusterError);
    expect(err.message).toMatch(/^reading the cluster took longer than 3s \(10 × --request-timeout 300ms\); raise --request-timeout/);
    const took = Date.now() - started;
    expect(took).toBeGreaterThanOrEqual(2900);
    expect(took).toBeLessThan(5000);
    // The deadline belongs to that read only: a later request is bounded by the request timeout again.
    expect(await c.get('/api/v1/nodes/a')).toBeDefined();
  });

  it('no deadline and no request bound with --request-timeout 0', async () => {
    const c = await client((r) => (r.path === '/version' ? { body: '{"major":"1","minor":"33"}', dripMs: 20, dripBytes: 4 } : undefined), { requestTimeoutMs: 0 });
    expect(await c.withDeadline(() => c.get('/version'))).toEqual({ major: '1', minor: '33' });
  });
});

describe('response size cap', () => {
  it('an answer over the cap is unreadable, counted while streaming (the body never ends)', async () => {
    const chunk = Buffer.alloc(64 * 1024, 0x20);
    const c = await client((r) => (r.path === '/api/v1/pods' ? { body: Buffer.concat(Array(64).fill(chunk)), dripMs: 1, dripBytes: chunk.length, headers: { 'Content-Type': 'application/json' } } : undefined), { maxResponseBytes: 1024 * 1024 });
    const err = await failure(listAll(c, '/api/v1/pods'));
    expect(err).toBeInstanceOf(UnreadableAnswerError);
    expect(err.message).toContain('larger than 1 MiB; the server may ignore `limit`');
  });

  it('the default cap is 64 MiB', async () => {
    const big = Buffer.alloc(65 * 1024 * 1024, 0x20);
    const c = await client((r) => (r.path === '/api/v1/pods' ? { body: big } : undefined));
    const err = await failure(listAll(c, '/api/v1/pods'));
    expect(err).toBeInstanceOf(UnreadableAnswerError);
    expect(err.message).toContain('larger than 64 MiB');
  });
});

describe('retries', () => {
  it('a GET answered 429 with Retry-After is retried after that wait, and the retry is reported', async () => {
    let first = true;
    const warnings: string[] = [];
    const c = await client((r) => {
      if (r.path !== '/api/v1/nodes' || !first) return undefined;
      first = false;
      return { ...status(429, 'TooManyRequests', 'slow down'), headers: { 'Retry-After': '1' } };
    }, { warn: (l) => warnings.push(l) });
    const started = Date.now();
    expect(await listAll(c, '/api/v1/nodes')).toHaveLength(1);
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    expect(server!.requests.filter((r) => r.path === '/api/v1/nodes')).toHaveLength(2);
    expect(warnings).toEqual(['GET /api/v1/nodes: the API server answered 429 Too Many Requests; retrying in 1s (1 of 3)']);
  });

  it('gives up after 3 retries with the server\'s error', async () => {
    const c = await client((r) => (r.path === '/api/v1/nodes' ? { ...status(503, 'ServiceUnavailable', 'busy'), headers: { 'Retry-After': '0' } } : undefined));
    const err = await failure(listAll(c, '/api/v1/nodes'));
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).status).toBe(503);
    expect(server!.requests).toHaveLength(4);
  });

  it('never retries a write', async () => {
    const c = await client((r) => (r.method !== 'GET' ? { ...status(429, 'TooManyRequests', 'slow down'), headers: { 'Retry-After': '0' } } : undefined));
    const err = await failure(c.request('/api/v1/nodes/a', { method: 'PATCH', body: [], contentType: 'application/json-patch+json' }));
    expect((err as ApiError).status).toBe(429);
    expect(server!.writes()).toHaveLength(1);
  });

  it('does not wait past the read deadline (Retry-After is capped and must fit in it)', async () => {
    const c = await client((r) => (r.path === '/api/v1/nodes' ? { ...status(429, 'TooManyRequests', 'slow down'), headers: { 'Retry-After': '3600' } } : undefined), { requestTimeoutMs: 200 });
    const started = Date.now();
    const err = await failure(c.withDeadline(() => listAll(c, '/api/v1/nodes')));
    expect((err as ApiError).status).toBe(429);
    expect(Date.now() - started).toBeLessThan(1500);
    expect(server!.requests).toHaveLength(1);
  });

  it('a 500 is not retried', async () => {
    const c = await client((r) => (r.path === '/api/v1/nodes' ? status(500, 'InternalError', 'boom') : undefined));
    expect(((await failure(listAll(c, '/api/v1/nodes'))) as ApiError).status).toBe(500);
    expect(server!.requests).toHaveLength(1);
  });
});

describe('odd credentials', () => {
  it('a token that cannot go in a header is a ClusterError, not a crash', async () => {
    server = await startMisbehavingServer();
    const kc = JSON.parse(readFileSync(server.kubeconfig, 'utf8'));
    kc.users[0].user.token = 'abc\r\nX-Injected: 1';
    const file = join(mkdtempSync(join(tmpdir(), 'vd-kc-')), 'kc.json');
    writeFileSync(file, JSON.stringify(kc));
    const c = await KubeClient.load({ kubeconfig: file, requestTimeoutMs: 5000 });
    const err = await failure(c.get('/version'));
    expect(err).toBeInstanceOf(ClusterError);
    expect(err.message).toContain('cannot send GET /version');
    expect(server.requests).toEqual([]);
  });
});

describe('writes', () => {
  it('a write the server accepted with an empty body resolves', async () => {
    const c = await client((r) => (r.method === 'DELETE' ? { status: 200, body: '' } : undefined));
    await expect(c.request('/api/v1/namespaces/x/pods/p', { method: 'DELETE', body: { kind: 'DeleteOptions' } })).resolves.toBeUndefined();
  });
});
