import { describe, expect, it } from 'vitest';
import { nodeDownWithVolumes } from '../../src/checks/node-down-with-volumes.js';
import { ago, lease, node } from '../fixtures/builders.js';
import { runCheck } from '../fixtures/run.js';
import { story1 } from '../fixtures/stories.js';

describe('node-down-with-volumes', () => {
  it('fires once per down node, summarising its volumes and the pods they block', () => {
    const objects = [node('worker-1'), node('worker-2', { ready: 'Unknown', since: ago('20m') }), lease('worker-2', ago('20m')), ...story1()];
    const [f, ...rest] = runCheck(nodeDownWithVolumes, objects);
    expect(rest).toEqual([]);
    expect(f.subject).toEqual({ kind: 'Node', name: 'worker-2' });
    expect(f.summary).toContain('with 1 volume attached, blocking shop/web-7d9f6c-x2k4p');
  });
  it('stays quiet for a down node without volumes, and a node down for seconds', () => {
    expect(runCheck(nodeDownWithVolumes, [node('worker-2', { ready: 'Unknown', since: ago('20m') })])).toEqual([]);
    expect(runCheck(nodeDownWithVolumes, [node('worker-1'), node('worker-2', { ready: 'Unknown', since: ago('20s') }), ...story1()])).toEqual([]);
  });
});
