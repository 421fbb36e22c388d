// -l/--selector: the pods LIST carries the label selector, and pods outside it are unknown, never absent.
import { afterEach, describe, expect, it } from 'vitest';
import { startMisbehavingServer, MisbehavingServer } from '../support/misbehaving-server.js';
import { runBinaryAsync, EXAMPLE } from './run-binary.js';
import { boundVolume, node, pod, uniqueName, DRIVER } from '../fixtures/builders.js';
import { parseLabelSelector } from '../../src/util/label-selector.js';

let server: MisbehavingServer | undefined;
afterEach(async () => { await server?.close(); server = undefined; });

/** worker-5 has pv-a in use, and the pod that uses it is there: only a reader that missed the pod would call it orphaned. */
function mountedByUnselectedPod() {
  const [pv, claim] = boundVolume('shop', 'data', 'pv-a');
  const user = pod('shop', 'db-0', { node: 'worker-5', claims: ['data'] });
  user.metadata.labels = { app: 'db' };
  return {
    '/api/v1/nodes': [node('worker-5', { volumesInUse: [uniqueName(DRIVER, pv.spec.csi.volumeHandle)], volumesAttached: [uniqueName(DRIVER, pv.spec.csi.volumeHandle)] })],
    '/api/v1/persistentvolumes': [pv],
    '/api/v1/namespaces/shop/persistentvolumeclaims': [claim],
    '/api/v1/namespaces/shop/pods': [user],
  };
}

describe('-l/--selector on a live cluster', () => {
  it('sends labelSelector on the pods LIST only, and concludes nothing from the pods it did not read', async () => {
    const objects = mountedByUnselectedPod();
    // The server filters as kube-apiserver would: app=web matches no pod.
    server = await startMisbehavingServer(objects, (req) => (req.path.endsWith('/pods') && req.query.get('labelSelector') === 'app=web'
      ? { body: { kind: 'PodList', apiVersion: 'v1', metadata: { resourceVersion: '1' }, items: [] } }
      : undefined));
    const base = ['diagnose', '-n', 'shop', '-o', 'json', '--kubeconfig', server.kubeconfig, '--fail-on', 'critical'];
    const all = await runBinaryAsync(base);
    expect(JSON.parse(all.stdout).findings).toEqual([]);
    expect(all.code).toBe(0);

    server.requests.length = 0;
    const r = await runBinaryAsync([...base, '-l', 'app=web']);
    const doc = JSON.parse(r.stdout);
    const pods = server.requests.filter((q) => q.path.endsWith('/pods'));
    expect(pods.map((q) => q.query.get('labelSelector'))).toEqual(['app=web']);
    expect(server.requests.filter((q) => !q.path.endsWith('/pods') && q.query.has('labelSelector'))).toEqual([]);
    // Without the pod, worker-5's volume would look orphaned; it must not be called so.
    expect(doc.findings.filter((f: { check: string }) => f.check === 'volume-in-use-without-pod')).toEqual([]);
    expect(doc.incomplete).toContainEqual(expect.objectContaining({ resource: 'pods', reason: expect.stringContaining('only pods matching -l "app=web" were read') }));
    // Not proven clear: exit 3, as for any run that could not read everything.
    expect(r.code).toBe(3);

    // The control: a complete LIST without the pod does prove it absent, and the check fires.
    await server.close();
    server = await startMisbehavingServer({ ...objects, '/api/v1/namespaces/shop/pods': [] });
    const empty = JSON.parse((await runBinaryAsync(['diagnose', '-n', 'shop', '-o', 'json', '--kubeconfig', server.kubeconfig])).stdout);
    expect(empty.findings.map((f: { check: string }) => f.check)).toContain('volume-in-use-without-pod');
  }, 60_000);

  it('-l with a named object, with --from-file, or malformed is a usage error (exit 2)', async () => {
    const named = await runBinaryAsync(['diagnose', 'pod/web-0', '-l', 'app=web', '--from-file', EXAMPLE]);
    expect(named.code).toBe(2);
    expect(named.stderr).toContain('name cannot be provided when a selector is specified');
    const dump = await runBinaryAsync(['diagnose', '-l', 'app=web', '--from-file', EXAMPLE]);
    expect(dump.code).toBe(2);
    expect(dump.stderr).toContain('a dump holds what was dumped');
    const bad = await runBinaryAsync(['diagnose', '-l', 'app in (web', '--from-file', EXAMPLE]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe('error: invalid -l/--selector "app in (web": expected "," or ")" in the in list\n');
  }, 60_000);
});

describe('label selector grammar (apimachinery labels.Parse)', () => {
  it.each([
    '', 'app', '!app', 'app=web', 'app==web', 'app!=web', 'app=', 'tier in (a, b,c)', 'tier notin (a)', 'app=web,tier!=cache',
    'example.com/team=core', 'replicas>3', 'replicas<-1', ' app = web , tier ',
  ])('accepts %j', (s) => expect(parseLabelSelector(s)).toEqual({}));

  it.each([
    ['app=web,', 'a requirement is missing after the last ","'],
    ['=web', 'expected a label key but found "="'],
    ['app=we b', 'expected "," between requirements, not "b"'],
    ['app in a', 'expected "(" after in'],
    ['-bad=x', 'invalid label key "-bad"'],
    ['app=-x', 'invalid label value "-x"'],
    ['/x=1', 'prefix part must be non-empty'],
    ['replicas>three', "for '>' the value must be an integer"],
    ['!app=web', 'expected "," between requirements, not "="'],
    [`k=${'v'.repeat(64)}`, 'must be no more than 63 characters'],
  ])('refuses %j', (s, why) => expect(parseLabelSelector(s).error).toContain(why));
});
