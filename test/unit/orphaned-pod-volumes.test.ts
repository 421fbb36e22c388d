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

  it('takes the leftover directory from the volume manager\'s unmount failures: NFS by its unique name, CSI by its plugin directory or the path the driver names', () => {
    const nfs = `E1126 07:01:02.123456    1234 nestedpendingoperations.go:348] Operation for "{volumeName:kubernetes.io/nfs/${UID}-shared podName:${UID} nodeName:}" failed. No retries permitted until 2026-11-26 07:03:04.123456789 +0000 UTC m=+123.456000000 (durationBeforeRetry 2m2s). Error: UnmountVolume.TearDown failed for volume "data" (UniqueName: "kubernetes.io/nfs/${UID}-shared") pod "${UID}" (UID: "${UID}") : unmount failed: exit status 16`;
    const metrics = { orphanCleanupErrors: 1, orphansCleaned: 0, volumes: [], failedOperations: [] };
    const [f] = run({ pods: [], metrics, logLines: [nfs] });
    expect(f.summary).toContain(`${NFS_PATH} is still mounted or busy`);
    expect(f.remedies.join('\n')).toContain(`umount ${NFS_PATH}`);
    expect(f.evidence).toContain(`kubelet log: ${nfs}`);

    const CSI_UID = '0b8e2a44-2222-4d1e-8f00-1a2b3c4d5e6f';
    // Before 1.2x the error was quoted whole, with its inner quotes escaped.
    const csi = `Error: "UnmountVolume.TearDown failed for volume \\"data\\" (UniqueName: \\"kubernetes.io/csi/ebs.csi.aws.com^vol-0abc\\") pod \\"${CSI_UID}\\" (UID: \\"${CSI_UID}\\") : rpc error: code = Internal desc = target is busy"`;
    const [g] = run({ pods: [], metrics, logLines: [csi] });
    expect(g.summary).toContain(`a volume under /var/lib/kubelet/pods/${CSI_UID}/volumes/kubernetes.io~csi/ is still mounted or busy`);
    expect(g.remedies.join('\n')).toContain('umount /var/lib/kubelet/pods/UID/volumes/PLUGIN/VOLUME');

    const named = `Error: UnmountVolume.TearDown failed for volume "data" (UniqueName: "kubernetes.io/csi/ebs.csi.aws.com^vol-0abc") pod "${CSI_UID}" (UID: "${CSI_UID}") : kubernetes.io/csi: Unmounter.TearDownAt failed to clean mount dir [/var/lib/kubelet/pods/${CSI_UID}/volumes/kubernetes.io~csi/pvc-0abc/mount]: device or resource busy`;
    expect(run({ pods: [], metrics, logLines: [named] })[0].summary).toContain(`/var/lib/kubelet/pods/${CSI_UID}/volumes/kubernetes.io~csi/pvc-0abc/mount is still mounted or busy`);

    const unchecked = `E1126 07:01:02.123456    1234 kubelet_volumes.go:118] "Pod found, but error occurred during checking mounted volumes from disk" err="stat /var/lib/kubelet/pods/x: stale NFS file handle" podUID="${CSI_UID}"`;
    expect(run({ pods: [], metrics, logLines: [unchecked] })[0].summary).toContain(`a volume under /var/lib/kubelet/pods/${CSI_UID}/volumes/ is still mounted or busy`);
  });

  it('names no directory of a pod that is not orphaned: one the API lists, one the kubelet still has, or any when its /pods was not read', () => {
    const line = `Error: UnmountVolume.TearDown failed for volume "data" (UniqueName: "kubernetes.io/nfs/${UID}-shared") pod "${UID}" (UID: "${UID}") : unmount failed: exit status 16`;
    const metrics = { orphanCleanupErrors: 1, orphansCleaned: 0, volumes: [], failedOperations: [] };
    const unnamed = 'their volume directories are still mounted or busy';
    // A teardown in progress of a pod the API still has (in a namespace-scoped run, or on the node).
    expect(run({ pods: [], metrics, logLines: [line] }, [pod('media', 'uploader-0', { node: 'worker-2', uid: UID })])[0].summary).toContain(unnamed);
    // The kubelet still has the pod (the API run may not have listed it: -n, -l, a target).
    const stillHas = { namespace: 'media', name: 'uploader-0', uid: UID, volumes: ['nfs 10.0.0.5:/exports/shared'], claims: [], api: 'unknown' as const };
    expect(run({ pods: [stillHas], metrics, logLines: [line] })[0].summary).toContain(unnamed);
    // Its /pods was not read: only the kubelet's own "orphaned pod" verdict names a directory.
    expect(run({ metrics, logLines: [line] })[0].summary).toContain(unnamed);
    expect(run({ metrics, logLines: [LOG] })[0].summary).toContain(`${NFS_PATH} is still mounted or busy`);
  });

  it('takes no path that the line was cut in (the reader shortens long lines with …)', () => {
    const metrics = { orphanCleanupErrors: 1, orphansCleaned: 0, volumes: [], failedOperations: [] };
    const cut = `orphaned pod \\"${UID}\\" found, but failed to rmdir() volume at path /var/lib/kubelet/pods/${UID}/volumes/kubernetes.io~csi/pvc-0a…`;
    expect(run({ pods: [], metrics, logLines: [cut] })[0].summary).toContain('their volume directories are still mounted or busy');
  });

  it('the CSI twin: a pod gone from the API whose CSI claim the kubelet still mounts, and a CSI volume the kubelet cannot unmount', () => {
    const objects = [...boundVolume('db', 'data-db-0', 'pvc-db0')];
    const [ghost] = run({ pods: [{ namespace: 'db', name: 'db-0', uid: UID, volumes: ['claim data-db-0'], claims: ['data-db-0'], api: 'gone', apiDetail: 'the API server has no pod db/db-0 (404)' }] }, objects);
    expect(ghost).toMatchObject({ severity: 'critical', subject: { kind: 'Pod', namespace: 'db', name: 'db-0' } });
    expect(ghost.related).toEqual(expect.arrayContaining([{ kind: 'PersistentVolumeClaim', namespace: 'db', name: 'data-db-0' }, { kind: 'PersistentVolume', name: 'pvc-db0' }]));
    expect(ghost.summary).toContain('claim data-db-0');

    const [node] = run({ metrics: { orphanCleanupErrors: 1, orphansCleaned: 0, volumes: [{ plugin: 'kubernetes.io/csi', desired: 2, actual: 3 }], failedOperations: [{ plugin: 'kubernetes.io/csi:ebs.csi.aws.com', operation: 'volume_unmount', count: 4 }] } });
    expect(node.severity).toBe('warning');
    expect(node.evidence.join('\n')).toContain('volume_manager_total_volumes for kubernetes.io/csi: 3 mounted (actual_state_of_world), 2 wanted');
    expect(node.evidence.join('\n')).toContain('storage_operation_duration_seconds_count{volume_plugin="kubernetes.io/csi:ebs.csi.aws.com",operation_name="volume_unmount",status="fail-unknown"} 4');
  });

  it('stays quiet for pods the API has, for lookups that failed, for a clean sweep, and for kubelets not asked', () => {
    expect(run({ pods: [{ namespace: 'a', name: 'b', uid: UID, volumes: ['claim c'], claims: ['c'], api: 'present' }] })).toEqual([]);
    expect(run({ pods: [{ namespace: 'a', name: 'b', uid: UID, volumes: ['claim c'], claims: ['c'], api: 'unknown', apiDetail: 'could not look pod a/b up: timeout' }] })).toEqual([]);
    expect(run({ metrics: { orphanCleanupErrors: 0, orphansCleaned: 3, volumes: [{ plugin: 'kubernetes.io/nfs', desired: 1, actual: 1 }], failedOperations: [] } })).toEqual([]);
    expect(orphanedPodVolumes.run(new Graph(snapshotOf([node('worker-1')])))).toEqual([]);
  });
});
