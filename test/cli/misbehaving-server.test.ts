import { afterEach, describe, expect, it } from 'vitest';
import { startMisbehavingServer, MisbehavingServer } from '../support/misbehaving-server.js';
import { runBinaryAsync } from './run-binary.js';

let server: MisbehavingServer | undefined;
afterEach(async () => { await server?.close(); server = undefined; });

describe('the misbehaving server, well-behaved', () => {
  it('serves an empty cluster that diagnose reads without findings', async () => {
    server = await startMisbehavingServer({ '/api/v1/nodes': [] });
    const r = await runBinaryAsync(['diagnose', '-A', '--kubeconfig', server.kubeconfig]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('No stuck volumes found');
    expect(server.writes()).toEqual([]);
  });
});
