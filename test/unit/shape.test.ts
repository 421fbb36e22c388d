import { describe, expect, it } from 'vitest';
import { malformedReason } from '../../src/cluster/shape.js';
import { node, pod, podEvent, snapshotOf, volumeAttachment } from '../fixtures/builders.js';

describe('names are checked as the API server checks them (they end up in the kubectl commands we print)', () => {
  it('keeps objects with valid names, including the longest subdomain Kubernetes accepts', () => {
    expect(malformedReason('Node', node(`n${'x'.repeat(251)}n`))).toBeUndefined();
    expect(malformedReason('Pod', pod('shop', 'web-0.a-b', { node: 'worker-1.zone-a', claims: ['data'] }))).toBeUndefined();
  });

  it.each([
    ['a node name with a shell substitution', 'Node', () => node('worker-2 $(touch /tmp/pwned)'), /metadata\.name .* is not a valid Kubernetes name/],
    ['an upper-case node name', 'Node', () => node('Worker-2'), /not a valid Kubernetes name/],
    ['a name over 253 characters', 'Node', () => node('n'.repeat(254)), /not a valid Kubernetes name/],
    ['a namespace with a dot', 'Pod', () => pod('shop.prod', 'web-0'), /metadata\.namespace .* RFC 1123 label/],
    ['a pod on a node named with a semicolon', 'Pod', () => pod('shop', 'web-0', { node: 'a;rm -rf /' }), /spec\.nodeName/],
    ['a claim name with a slash', 'Pod', () => pod('shop', 'web-0', { claims: ['a/b'] }), /claimName/],
    ['an attachment to a node named with a newline', 'VolumeAttachment', () => volumeAttachment({ pv: 'pv-a', node: 'w\n0 critical' }), /spec\.nodeName/],
  ])('drops %s', (_what, kind, make, reason) => {
    expect(malformedReason(kind, make())).toMatch(reason);
  });

  it('does not judge the names of events, which follow objects of any kind', () => {
    const e = podEvent(pod('shop', 'web-0'), { reason: 'FailedMount', message: 'x' });
    e.metadata.name = 'system:controller:attachdetach.17a8';
    expect(malformedReason('Event', e)).toBeUndefined();
  });
});

describe('scheduling and expansion fields are read only in the types the API server writes', () => {
  const pvWithAffinity = (values: unknown[]) => ({
    apiVersion: 'v1', kind: 'PersistentVolume', metadata: { name: 'pv-a' },
    spec: { capacity: { storage: '10Gi' }, nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'topology.kubernetes.io/zone', operator: 'In', values }] }] } } },
  });

  it('folds node labels, a volume\'s node affinity, CSINode attach limits and allowVolumeExpansion', () => {
    const s = snapshotOf([
      node('worker-1', { labels: { 'topology.kubernetes.io/zone': 'zone-a' } }),
      pvWithAffinity(['zone-b']),
      { apiVersion: 'storage.k8s.io/v1', kind: 'CSINode', metadata: { name: 'worker-1' }, spec: { drivers: [{ name: 'ebs.csi.aws.com', nodeID: 'i-1', allocatable: { count: 25 } }, { name: 'nfs.csi.k8s.io', nodeID: 'worker-1' }] } },
      { apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass', metadata: { name: 'gp3' }, provisioner: 'ebs.csi.aws.com', allowVolumeExpansion: true },
    ]);
    expect(s.nodes[0].labels['topology.kubernetes.io/zone']).toBe('zone-a');
    expect(s.pvs[0].nodeAffinity).toEqual([{ matchExpressions: [{ key: 'topology.kubernetes.io/zone', operator: 'In', values: ['zone-b'] }], matchFields: [] }]);
    expect(s.pvs[0].capacityStorage).toBe('10Gi');
    expect(s.csiNodes[0].limits).toEqual([{ driver: 'ebs.csi.aws.com', count: 25 }]);
    expect(s.storageClasses[0].allowVolumeExpansion).toBe(true);
  });

  it.each([
    ['a label that is a number', 'Node', () => node('worker-1', { labels: { zone: 3 } }), /metadata\.labels\.zone is a number/],
    ['an affinity value that is a number', 'PersistentVolume', () => pvWithAffinity([1]), /values\[0\] is a number/],
    ['an attach limit written as text', 'CSINode', () => ({ metadata: { name: 'w' }, spec: { drivers: [{ name: 'd', allocatable: { count: '25' } }] } }), /allocatable\.count is a string/],
    ['allowVolumeExpansion written as text', 'StorageClass', () => ({ metadata: { name: 'gp3' }, provisioner: 'x', allowVolumeExpansion: 'true' }), /allowVolumeExpansion is a string/],
  ])('drops %s', (_what, kind, make, reason) => {
    expect(malformedReason(kind, make())).toMatch(reason);
  });
});
