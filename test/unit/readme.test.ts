import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { withChecksTable } from '../../src/report/checks-markdown.js';
import { CHECKS } from '../../src/checks/index.js';

describe('README', () => {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  it('lists exactly the checks the tool has (regenerate with npm run docs)', () => {
    expect(withChecksTable(readme)).toBe(readme);
    for (const c of CHECKS) expect(readme).toContain(`\`${c.id}\``);
  });
  it('names the commands that set up a fresh machine', () => {
    expect(readme).toContain('npm ci && npm run demo');
    expect(readme).toContain('npm test');
  });
});
