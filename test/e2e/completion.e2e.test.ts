// Completion of live names through the real kubectl (`kubectl __complete volume-doctor ...` runs
// bin/kubectl_complete-volume_doctor), against the real API server. Leaves the nodes as it found them.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nodeDown, nodeUp } from '../../hack/cluster/controls.js';
import { apply, waitFor } from '../../hack/cluster/kube.js';
import { cluster, kubectlJson } from './helpers.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const NS = 'completion';

/** Asynchronous, so the test worker keeps answering vitest while kubectl runs. */
async function complete(words: string[]): Promise<{ values: string[]; lines: string[]; directive: number }> {
  const stdout = await new Promise<string>((resolve, reject) => {
    execFile('kubectl', ['__complete', 'volume-doctor', ...words], {
      encoding: 'utf8',
      env: { ...process.env, PATH: `${join(ROOT, 'bin')}:${process.env.PATH}`, KUBECONFIG: cluster().kubeconfig },
      timeout: 60_000,
      killSignal: 'SIGKILL',
    }, (err, out) => (err ? reject(err) : resolve(out)));
  });
  const lines = stdout.split('\n').filter(Boolean);
  const directive = Number(lines.pop()?.slice(1));
  return { values: lines.map((l) => l.split('\t')[0]), lines, directive };
}

const readyOf = (name: string): string | undefined => kubectlJson(['get', 'node', name]).status.conditions?.find((c: { type: string }) => c.type === 'Ready')?.status;

describe('completion names from a live cluster', () => {
  beforeAll(async () => {
    apply(cluster().kubeconfig, [
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } },
      { apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'data-web-0', namespace: NS }, spec: { accessModes: ['ReadWriteOnce'], storageClassName: 'none', resources: { requests: { storage: '1Gi' } } } },
    ]);
    // The API server refuses pods until the service account controller has made the namespace's default account.
    await waitFor(`service account ${NS}/default`, async () => { kubectlJson(['get', 'serviceaccount', 'default', '-n', NS]); return true; }, 120_000, 1000);
    apply(cluster().kubeconfig, [
      { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web-0', namespace: NS }, spec: { containers: [{ name: 'c', image: 'busybox' }] } },
    ]);
  }, 180_000);

  it('subcommands and check ids', async () => {
    expect((await complete([''])).values).toEqual(expect.arrayContaining(['diagnose', 'fix', 'explain']));
    expect((await complete(['explain', 'multi'])).values).toEqual(['multi-attach']);
  });

  it('pods and claims of the namespace, namespaces after -n', async () => {
    expect((await complete(['diagnose', '-n', NS, 'pod/'])).values).toEqual(['pod/web-0']);
    expect((await complete(['diagnose', '-n', NS, 'pvc/d'])).values).toEqual(['pvc/data-web-0']);
    expect((await complete(['fix', '-n', NS, 'pvc', ''])).values).toEqual(['data-web-0']);
    expect((await complete(['diagnose', '-n', ''])).values).toEqual(expect.arrayContaining([NS, 'default', 'kube-system']));
    expect((await complete(['diagnose', 'node/'])).values).toEqual(cluster().nodes.map((n) => `node/${n}`).sort());
  });

  it('contexts after --context, from the kubeconfig', async () => {
    const contexts = kubectlJson(['config', 'view']).contexts.map((c: { name: string }) => c.name);
    expect((await complete(['diagnose', '--context', ''])).values.sort()).toEqual([...contexts].sort());
  });

  describe('--confirm-node-down offers only nodes that are not Ready', () => {
    const down = () => cluster().nodes.at(-1)!;
    afterAll(async () => {
      await nodeUp(cluster(), down());
      await waitFor(`node ${down()} Ready again`, async () => readyOf(down()) === 'True', 180_000, 2000);
    });

    it('none while all are Ready, then the one that went down', async () => {
      // Earlier files take nodes down and stop the API server; nodes may still be coming back.
      const notReady = () => cluster().nodes.filter((n) => readyOf(n) !== 'True');
      await waitFor('every node Ready', async () => notReady().length === 0, 180_000, 2000)
        .catch((err) => { throw new Error(`${(err as Error).message}; not Ready: ${notReady().join(', ')}`); });
      expect((await complete(['fix', '--confirm-node-down', ''])).values).toEqual([]);
      await nodeDown(cluster(), down());
      await waitFor(`node ${down()} NotReady`, async () => readyOf(down()) !== 'True', 180_000, 2000);
      const r = await complete(['fix', '--confirm-node-down', '']);
      expect(r.values).toEqual([down()]);
      expect(r.lines[0]).toMatch(new RegExp(`^${down()}\tReady=(Unknown|False)$`));
    });
  });
});
