// `npm install -g` of the packed tarball gives a working plugin without the checkout.
import { execFile, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from './run-binary.js';

// Not spawnSync: a minute-long blocking call starves the test runner's own messages.
const npm = (args: string[], cwd: string) =>
  new Promise<void>((resolve, reject) => {
    const env = { ...process.env, NPM_CONFIG_UPDATE_NOTIFIER: 'false', NPM_CONFIG_FUND: 'false', NPM_CONFIG_AUDIT: 'false' };
    execFile('npm', args, { cwd, env }, (err, _stdout, stderr) => (err ? reject(new Error(`npm ${args.join(' ')}: ${err.message} ${stderr}`)) : resolve()));
  });

describe('npm pack', () => {
  it('installs globally into an empty prefix and runs from there, with the checkout out of reach', async () => {
    const work = mkdtempSync(join(tmpdir(), 'vd-npm-pack-'));
    const version = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
    // dist/ is built by pretest; packing without scripts packs that build.
    await npm(['pack', '--ignore-scripts', '--pack-destination', work, ROOT], work);
    const tarball = readdirSync(work).find((f) => f.endsWith('.tgz'))!;
    expect(tarball).toBe(`kubectl-volume-doctor-${version}.tgz`);
    const prefix = join(work, 'prefix');
    await npm(['install', '-g', '--prefix', prefix, '--prefer-offline', '--no-audit', '--no-fund', join(work, tarball)], work);
    const bin = join(prefix, 'bin', 'kubectl-volume_doctor');
    expect(existsSync(bin)).toBe(true);
    const installed = join(prefix, 'lib', 'node_modules', 'kubectl-volume-doctor');
    expect(readdirSync(installed).sort()).toEqual(expect.arrayContaining(['LICENSE', 'README.md', 'bin', 'dist', 'package.json']));
    expect(existsSync(join(installed, 'test'))).toBe(false);

    const env = { PATH: `${join(prefix, 'bin')}:${process.env.PATH}`, HOME: work };
    const version_ = spawnSync('kubectl-volume_doctor', ['version'], { cwd: work, encoding: 'utf8', env });
    expect(version_.stderr).toBe('');
    expect(version_.stdout).toBe(`volume-doctor v${version} (node ${process.version})\n`);
    const diagnose = spawnSync('kubectl-volume_doctor', ['diagnose', '--from-file', join(installed, 'examples', 'stuck-cluster.json'), '-o', 'json'], { cwd: work, encoding: 'utf8', env });
    expect(diagnose.status).toBe(1);
    expect(JSON.parse(diagnose.stdout).kind).toBe('Diagnosis');
  }, 240_000);
});
