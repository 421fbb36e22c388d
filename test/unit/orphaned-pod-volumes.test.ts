import { describe, expect, it } from 'vitest';
import { Graph } from '../../src/graph.js';
import { orphanedPodVolumes } from '../../src/checks/orphaned-pod-volumes.js';
import type { KubeletFact } from '../../src/model/snapshot.js';
import { boundVolume, node, pod, snapshotOf } from '../fixtures/builders.js';

const UID = '5f0c7a8e-1111-4c2b-9a3e-7d9e0b1c2d3e';
const NFS_PATH = `/var/lib/kubelet/pods/${UID}/volumes/kubernetes.io~nfs/shared`;
const LOG = `E1126 07:01:02.123456    1234 kubelet_volumes.go:263] "There were many similar errors. Turn up verbosity to see them." err="orphaned pod \\"${UID}\\" found, but failed to rmdir() volume at path ${NFS_PATH}: device or resource busy" numErrs=1`;

function run(kubelet: Partial<KubeletFact>, objects: unknown[] = []) {
  const s = snapshotOf([node('worker-1'), node('worker-2'), ...objects]);
  s.kubelets = [{ node: 'worker-2', reach: 'answered', reachDetail: 'the kubelet on worker-2 answered through the API server (GET /api/v1/nodes/worker-2/proxy/healthz: 200 "ok"): the machine is running', notes: [], ...kubelet }];
  return orphanedPodVolumes.run(new Graph(s));
}

describe('orphaned-pod-volumes', () => {
  it('fires, critical, for a pod the kubelet still runs that the API no longer has', () => {
    const [f] = run({ pods: [{ namespace: 'media', name: 'uploader-0', uid: UID, volumes: ['nfs 10.0.0.5:/exports/shared'], claims: [], api: 'gone', apiDetail: 'the API server has no pod media/uploader-0 (404)' }] });
    expect(f).toMatchObject({ check: 'orphaned-pod-volumes', severity: 'critical', subject: { kind: 'Pod', namespace: 'media', name: 'uploader-0' } });
    expect(f.related).toContainEqual({ kind: 'Node', name: 'worker-2' });
    expect(f.evidence[0]).toContain('/pods');
    expect(f.evidence.join('\n')).toContain('404');
    expect(f.remedies.join('\n')).toContain(`/var/lib/kubelet/pods/${UID}`);
    expect(f.remedies.at(-1)).toMatch(/^Never remove a pod's directory/);
  });

  it('fires for a pod whose name now belongs to a replacement on another node, naming both copies', () => {
    const objects = [...boundVolume('db', 'data-db-0', 'pvc-db0'), pod('db', 'db-0', { node: 'worker-1', claims: ['data-db-0'], uid: 'new-uid' })];
    const [f] = run({ pods: [{ namespace: 'db', name: 'db-0', uid: UID, volumes: ['claim data-db-0'], claims: ['data-db-0'], api: 'replaced', apiDetail: 'the API server\'s pod db/db-0 is another pod (uid new-uid)' }] }, objects);
    expect(f.severity).toBe('critical');
    expect(f.related).toEqual(expect.arrayContaining([{ kind: 'PersistentVolumeClaim', namespace: 'db', name: 'data-db-0' }, { kind: 'PersistentVolume', name: 'pvc-db0' }]));
    expect(f.evidence.join('\n')).toContain('is on worker-1: two copies may write to the same volumes');
  });

  it('fires for a node whose kubelet cannot clean up orphaned pod volumes, quoting its metrics and its log', () => {
    const [f] = run({
      metrics: { orphanCleanupErrors: 1, orphansCleaned: 0, volumes: [{ plugin: 'kubernetes.io/nfs', desired: 0, actual: 1 }], failedOperations: [] },
      logLines: [LOG],
    });
    expect(f).toMatchObject({ check: 'orphaned-pod-volumes', severity: 'warning', subject: { kind: 'Node', name: 'worker-2' } });
    expect(f.summary).toContain(NFS_PATH);
    expect(f.evidence[0]).toContain('kubelet_orphan_pod_cleaned_volumes_errors 1');
    expect(f.evidence.join('\n')).toContain('kubernetes.io/nfs: 1 mounted');
    expect(f.remedies.join('\n')).toContain(`umount ${NFS_PATH}`);
  });

  it('stays quiet for pods the API has, for lookups that failed, for a clean sweep, and for kubelets not asked', () => {
    expect(run({ pods: [{ namespace: 'a', name: 'b', uid: UID, volumes: ['claim c'], claims: ['c'], api: 'present' }] })).toEqual([]);
    expect(run({ pods: [{ namespace: 'a', name: 'b', uid: UID, volumes: ['claim c'], claims: ['c'], api: 'unknown', apiDetail: 'could not look pod a/b up: timeout' }] })).toEqual([]);
    expect(run({ metrics: { orphanCleanupErrors: 0, orphansCleaned: 3, volumes: [{ plugin: 'kubernetes.io/nfs', desired: 1, actual: 1 }], failedOperations: [] } })).toEqual([]);
    expect(orphanedPodVolumes.run(new Graph(snapshotOf([node('worker-1')])))).toEqual([]);
  });
});
