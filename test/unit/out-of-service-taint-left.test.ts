import { describe, expect, it } from 'vitest';
import { outOfServiceTaintLeft as check } from '../../src/checks/out-of-service-taint-left.js';
import { ago, node } from '../fixtures/builders.js';
import { runCheck } from '../fixtures/run.js';

const taint = { key: 'node.kubernetes.io/out-of-service', value: 'nodeshutdown', effect: 'NoExecute', timeAdded: ago('2h') };

describe('out-of-service-taint-left', () => {
  it('fires for a Ready node that still carries the taint', () => {
    const [f] = runCheck(check, [node('worker-4', { since: ago('30m'), taints: [taint] })]);
    expect(f.severity).toBe('warning');
    expect(f.summary).toBe('Node worker-4 has been Ready for 30m but still carries the out-of-service taint');
    expect(f.remedies[0]).toContain('kubectl taint node worker-4 node.kubernetes.io/out-of-service-');
  });
  it('stays quiet while the node is still down', () => {
    expect(runCheck(check, [node('worker-4', { ready: 'Unknown', since: ago('30m'), taints: [taint] })])).toEqual([]);
  });
  it('stays quiet for a Ready node without the taint', () => {
    expect(runCheck(check, [node('worker-4')])).toEqual([]);
  });
});
