import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import yaml from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { stripMachOSignature } from '../../hack/package/macho.js';
import { archiveFiles, renderManifest, sha256File } from '../../hack/package/manifest.js';
import { archiveName, TARGETS } from '../../hack/package/targets.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
const tmp = () => mkdtempSync(join(tmpdir(), 'vd-package-'));

type Platform = { selector: { matchLabels: Record<string, string> }; uri: string; sha256: string; bin: string; files: { from: string; to: string }[] };
const platformsOf = (text: string) => (yaml.load(text) as { spec: { platforms: Platform[] } }).spec.platforms;

describe('volume-doctor.yaml generator', () => {
  // Archives with distinct contents, as the build leaves them, hashed as the build hashes them.
  const dir = tmp();
  const built = TARGETS.map((target, i) => {
    const file = join(dir, archiveName(pkg.version, target));
    const content = `archive ${i} of ${target.os}/${target.arch}`;
    writeFileSync(file, content);
    return { target, sha256: sha256File(file), expected: createHash('sha256').update(content).digest('hex') };
  });
  const text = renderManifest(pkg.version, built);
  const manifest = yaml.load(text) as Record<string, any>;

  it('writes the sha256 of each archive under its platform', () => {
    for (const b of built) expect(b.sha256).toBe(b.expected);
    const platforms = platformsOf(text);
    expect(platforms).toHaveLength(TARGETS.length);
    for (const b of built) {
      const p = platforms.find((x) => x.selector.matchLabels.os === b.target.os && x.selector.matchLabels.arch === b.target.arch)!;
      expect(p.sha256).toBe(b.expected);
      expect(p.uri.endsWith(`/v${pkg.version}/${archiveName(pkg.version, b.target)}`)).toBe(true);
    }
  });

  it('is a krew Plugin named volume-doctor at the package version', () => {
    expect(manifest.apiVersion).toBe('krew.googlecontainertools.github.com/v1alpha2');
    expect(manifest.kind).toBe('Plugin');
    expect(manifest.metadata.name).toBe('volume-doctor');
    expect(manifest.spec.version).toBe(`v${pkg.version}`);
    expect(manifest.spec.shortDescription.length).toBeLessThanOrEqual(80);
  });

  it('installs the binary kubectl looks for, the completion helper and LICENSE on every platform', () => {
    for (const p of platformsOf(text)) {
      const windows = p.selector.matchLabels.os === 'windows';
      expect(p.bin).toBe(windows ? 'kubectl-volume_doctor.exe' : 'kubectl-volume_doctor');
      const from = p.files.map((f) => f.from);
      expect(from).toEqual(expect.arrayContaining([p.bin, 'LICENSE', windows ? 'kubectl_complete-volume_doctor.cmd' : 'kubectl_complete-volume_doctor']));
    }
    const darwinArm = TARGETS.find((t) => t.os === 'darwin' && t.arch === 'arm64')!;
    expect(archiveFiles(darwinArm)).toContain('volume-doctor.cjs');
  });
});

describe('the committed volume-doctor.yaml', () => {
  const text = readFileSync(join(ROOT, 'volume-doctor.yaml'), 'utf8');
  const platforms = platformsOf(text);

  it('is the generator output for real, distinct archive hashes (not edited by hand, no placeholder sums)', () => {
    const byTarget = TARGETS.map((target) => {
      const p = platforms.find((x) => x.selector.matchLabels.os === target.os && x.selector.matchLabels.arch === target.arch);
      expect(p, `${target.os}/${target.arch}`).toBeDefined();
      return { target, sha256: p!.sha256 };
    });
    expect(text).toBe(renderManifest(pkg.version, byTarget));
    const sums = byTarget.map((b) => b.sha256);
    for (const s of sums) expect(s).toMatch(/^[0-9a-f]{64}$/);
    expect(sums.some((s) => /^0+$/.test(s))).toBe(false);
    expect(new Set(sums).size).toBe(sums.length);
  });
});

describe('the version', () => {
  it('comes from package.json when the build (dist/) runs from the checkout or an npm install', () => {
    const r = spawnSync(process.execPath, [join(ROOT, 'bin/kubectl-volume_doctor'), 'version'], { cwd: tmp(), encoding: 'utf8' });
    expect(r.stdout).toBe(`volume-doctor v${pkg.version} (node ${process.version})\n`);
  });

  it('is inlined in the bundle, which runs with no package.json anywhere near it', async () => {
    const dir = tmp();
    const out = join(dir, 'volume-doctor.cjs');
    await build({
      entryPoints: [join(ROOT, 'hack/package/entry.ts')],
      outfile: out,
      bundle: true,
      platform: 'node',
      format: 'cjs',
      define: { VOLUME_DOCTOR_VERSION: '"7.7.7-test"' },
      logLevel: 'silent',
    });
    const r = spawnSync(process.execPath, [out, 'version'], { cwd: dir, encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/^volume-doctor v7\.7\.7-test \(node v/);
  }, 60_000);
});

describe('launcher of the bundle (darwin-arm64)', () => {
  // The launcher is reached through a symlink, as krew installs it, and runs the bundle beside its target.
  function install(): { bin: string; dir: string } {
    const dir = tmp();
    mkdirSync(join(dir, 'store'));
    mkdirSync(join(dir, 'bin'));
    copyFileSync(join(ROOT, 'hack/package/launcher.sh'), join(dir, 'store/kubectl-volume_doctor'));
    chmodSync(join(dir, 'store/kubectl-volume_doctor'), 0o755);
    writeFileSync(join(dir, 'store/volume-doctor.cjs'), 'console.log(JSON.stringify(process.argv.slice(2)));\n');
    symlinkSync('../store/kubectl-volume_doctor', join(dir, 'bin/kubectl-volume_doctor'));
    return { bin: join(dir, 'bin/kubectl-volume_doctor'), dir };
  }
  const fakeNode = (dir: string, script: string) => {
    mkdirSync(join(dir, 'fake'), { recursive: true });
    writeFileSync(join(dir, 'fake/node'), `#!/bin/sh\n${script}\n`);
    chmodSync(join(dir, 'fake/node'), 0o755);
    return join(dir, 'fake');
  };
  // What the launcher needs besides node, so that PATH can hold a chosen node or none.
  const tools = (dir: string) => {
    mkdirSync(join(dir, 'tools'), { recursive: true });
    for (const t of ['dirname', 'readlink']) symlinkSync(spawnSync('/bin/sh', ['-c', `command -v ${t}`], { encoding: 'utf8' }).stdout.trim(), join(dir, 'tools', t));
    return join(dir, 'tools');
  };
  const run = (bin: string, path: string) => spawnSync('/bin/sh', [bin, 'diagnose', '-A', 'a b'], { encoding: 'utf8', env: { PATH: path } });

  it('runs the bundle with the node on PATH, passing the arguments unchanged', () => {
    const { bin, dir } = install();
    const nodeDir = join(dir, 'node-bin');
    mkdirSync(nodeDir);
    symlinkSync(process.execPath, join(nodeDir, 'node'));
    const r = run(bin, `${nodeDir}:${tools(dir)}`);
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual(['diagnose', '-A', 'a b']);
  });

  it('says Node.js is needed when there is no node on PATH', () => {
    const { bin, dir } = install();
    const r = run(bin, tools(dir));
    expect(r.status).toBe(3);
    expect(r.stderr).toContain('needs Node.js 20 or later, and there is no node on PATH');
  });

  it('names the version of a node that is too old', () => {
    const { bin, dir } = install();
    const r = run(bin, `${fakeNode(dir, 'case "$1" in --version) echo v18.20.4 ;; *) echo 18 ;; esac')}:${tools(dir)}`);
    expect(r.status).toBe(3);
    expect(r.stderr).toMatch(/needs Node\.js 20 or later; the node on PATH \(.*fake\/node\) is v18\.20\.4/);
    expect(r.stdout).toBe('');
  });
});

describe('kubectl_complete-volume_doctor', () => {
  it("hands kubectl's completion arguments to the plugin's __complete", () => {
    const dir = tmp();
    writeFileSync(join(dir, 'kubectl-volume_doctor'), '#!/bin/sh\nfor a in "$@"; do echo "[$a]"; done\n');
    chmodSync(join(dir, 'kubectl-volume_doctor'), 0o755);
    // As krew unpacks the archive: the completer next to the plugin, reached through a symlink elsewhere on PATH.
    copyFileSync(join(ROOT, 'bin', 'kubectl_complete-volume_doctor'), join(dir, 'kubectl_complete-volume_doctor'));
    const linked = tmp();
    symlinkSync(join(dir, 'kubectl_complete-volume_doctor'), join(linked, 'kubectl_complete-volume_doctor'));
    const r = spawnSync('/bin/sh', [join(linked, 'kubectl_complete-volume_doctor'), 'diagnose', '-n', ''], { encoding: 'utf8', env: { PATH: '/usr/bin:/bin' } });
    expect(r.stdout).toBe('[__complete]\n[diagnose]\n[-n]\n[]\n');
  });
});

describe('Mach-O signature removal', () => {
  // A 64-bit Mach-O with __LINKEDIT and a code signature at the end of the file, as Node's macOS binaries are.
  function machO(): Buffer {
    const sigOff = 0x2000;
    const sigSize = 0x100;
    const b = Buffer.alloc(sigOff + sigSize, 0);
    b.writeUInt32LE(0xfeedfacf, 0);
    b.writeUInt32LE(2, 16); // ncmds
    b.writeUInt32LE(72 + 16, 20); // sizeofcmds
    b.writeUInt32LE(0x19, 32); // LC_SEGMENT_64
    b.writeUInt32LE(72, 36);
    b.write('__LINKEDIT', 40, 'latin1');
    b.writeBigUInt64LE(0x3000n, 64); // vmsize
    b.writeBigUInt64LE(0x1000n, 72); // fileoff
    b.writeBigUInt64LE(BigInt(sigOff + sigSize - 0x1000), 80); // filesize
    b.writeUInt32LE(0x1d, 104); // LC_CODE_SIGNATURE
    b.writeUInt32LE(16, 108);
    b.writeUInt32LE(sigOff, 112);
    b.writeUInt32LE(sigSize, 116);
    b.fill(0xab, sigOff);
    return b;
  }

  it('drops the signature load command and data, and shrinks __LINKEDIT to match', () => {
    const out = stripMachOSignature(machO());
    expect(out.length).toBe(0x2000);
    expect(out.readUInt32LE(16)).toBe(1);
    expect(out.readUInt32LE(20)).toBe(72);
    expect(out.readUInt32LE(104)).toBe(0);
    expect(out.readBigUInt64LE(80)).toBe(0x1000n);
    expect(out.readBigUInt64LE(64)).toBe(0x1000n);
  });

  it('refuses what it does not understand', () => {
    const fat = machO();
    fat.writeUInt32BE(0xcafebabe, 0);
    expect(() => stripMachOSignature(fat)).toThrow(/not a 64-bit/);
    const padded = Buffer.concat([machO(), Buffer.alloc(16)]);
    expect(() => stripMachOSignature(padded)).toThrow(/not at the end/);
  });
});
