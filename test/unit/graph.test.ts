import { describe, expect, it } from 'vitest';
import { Graph, uniqueVolumeName } from '../../src/graph.js';
import { ago, boundVolume, csiDriver, lease, node, pod, snapshotOf, vaName, volumeAttachment } from '../fixtures/builders.js';

describe('graph', () => {
  const objects = [
    node('worker-1'), node('worker-2', { ready: 'Unknown', since: ago('12m') }), lease('worker-2', ago('12m30s')),
    ...boundVolume('shop', 'data', 'pv-a'), volumeAttachment({ pv: 'pv-a', node: 'worker-2' }),
    pod('shop', 'web-0', { node: 'worker-1', claims: ['data'], state: 'ContainerCreating', created: ago('3m') }),
    csiDriver('nfs.csi.k8s.io', false), ...boundVolume('shop', 'files', 'pv-nfs', { driver: 'nfs.csi.k8s.io' }),
  ];
  const graph = new Graph(snapshotOf(objects));

  it('follows pod → claim → volume → attachment → node', () => {
    const p = graph.pod('shop', 'web-0')!;
    const [v] = graph.podVolumes(p);
    expect(v.pvc?.name).toBe('data');
    expect(v.pv?.name).toBe('pv-a');
    expect(graph.attachmentsOfPv('pv-a').map((va) => va.nodeName)).toEqual(['worker-2']);
    expect(graph.nodesHolding(v.pv!, 'worker-1')).toEqual(['worker-2']);
    expect(graph.podsUsingPv('pv-a').map((x) => x.name)).toEqual(['web-0']);
  });

  it('names CSI volumes as the kubelet does and maps them back', () => {
    const pv = graph.pv('pv-a')!;
    expect(uniqueVolumeName(pv)).toBe('kubernetes.io/csi/driver.longhorn.io^pv-a');
    expect(graph.pvByUniqueName('kubernetes.io/csi/driver.longhorn.io^pv-a')?.name).toBe('pv-a');
  });

  it('computes VolumeAttachment names like the attach/detach controller', () => {
    expect(vaName('pv-a', 'driver.longhorn.io', 'worker-2')).toMatch(/^csi-[0-9a-f]{64}$/);
    expect(graph.allVolumeAttachments()[0].name).toBe(vaName('pv-a', 'driver.longhorn.io', 'worker-2'));
  });

  it('knows which volumes attach and which are exclusive', () => {
    expect(graph.isAttachable(graph.pv('pv-a')!)).toBe(true);
    expect(graph.isAttachable(graph.pv('pv-nfs')!)).toBe(false);
    expect(graph.isExclusive(graph.pv('pv-a')!)).toBe(true);
  });

  it('describes node health from the Ready condition and the Lease', () => {
    const h = graph.nodeHealth('worker-2');
    expect(h.ready).toBe(false);
    expect(h.conditionForMs).toBe(12 * 60_000);
    expect(h.leaseAgeMs).toBe(12.5 * 60_000);
    expect(h.describe).toBe('NotReady (Unknown, NodeStatusUnknown) for 12m, Lease last renewed 12m ago');
    expect(graph.nodeHealth('gone').exists).toBe(false);
    expect(graph.isNodeDown('worker-2', 60_000)).toBe(true);
    expect(graph.isNodeDown('worker-1', 0)).toBe(false);
  });

  it('judges waiting pods against the snapshot time, not the clock', () => {
    const p = graph.pod('shop', 'web-0')!;
    expect(graph.isWaitingToStart(p)).toBe(true);
    expect(graph.waitingForMs(p)).toBe(3 * 60_000);
  });
});
