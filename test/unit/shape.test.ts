import { describe, expect, it } from 'vitest';
import { malformedReason } from '../../src/cluster/shape.js';
import { node, pod, podEvent, volumeAttachment } from '../fixtures/builders.js';

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
