import { readFileSync } from 'node:fs';
import yaml from 'js-yaml';
import { describe, expect, it } from 'vitest';

describe('krew-manifest.yaml', () => {
  const manifest = yaml.load(readFileSync(new URL('../../krew-manifest.yaml', import.meta.url), 'utf8')) as Record<string, any>;
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));

  it('is a krew Plugin named volume-doctor at the package version', () => {
    expect(manifest.apiVersion).toBe('krew.googlecontainertools.github.com/v1alpha2');
    expect(manifest.kind).toBe('Plugin');
    expect(manifest.metadata.name).toBe('volume-doctor');
    expect(manifest.spec.version).toBe(`v${pkg.version}`);
    expect(manifest.spec.shortDescription.length).toBeLessThanOrEqual(80);
    expect(manifest.spec.caveats).toContain('Node.js 20');
  });

  it('installs the launcher kubectl looks for on every platform', () => {
    for (const p of manifest.spec.platforms) {
      expect(p.bin).toBe('kubectl-volume_doctor');
      expect(p.uri).toMatch(/^https:\/\/.+\.tar\.gz$/);
      expect(p.sha256).toMatch(/^[0-9a-f]{64}$/);
      expect(p.selector.matchExpressions ?? p.selector.matchLabels).toBeDefined();
    }
  });
});
