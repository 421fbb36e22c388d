// npm run package: the single-file bundle, one krew archive per platform (targets.ts) in dist/package/, and
// volume-doctor.yaml with the sha256 of each archive.
import { build } from 'esbuild';
import { inject } from 'postject';
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { archiveFiles, BuiltArchive, renderManifest, sha256File } from './manifest.js';
import { stripMachOSignature } from './macho.js';
import { nodeBinary } from './node-binary.js';
import { archiveName, COMPLETION_BIN, exeSuffix, NODE_VERSION, PLUGIN_BIN, Target, TARGETS } from './targets.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const here = join(root, 'hack', 'package');
const out = join(root, 'dist', 'package');
const SEA_FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';
// Archive members carry this time, so the same inputs give the same archive and the same sha256.
const MTIME = process.env.SOURCE_DATE_EPOCH ?? '0';
const log = (line: string) => process.stderr.write(`[package] ${line}\n`);

async function bundle(version: string): Promise<string> {
  const file = join(out, 'volume-doctor.cjs');
  const result = await build({
    entryPoints: [join(here, 'entry.ts')],
    outfile: file,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    minify: true,
    legalComments: 'none',
    define: { VOLUME_DOCTOR_VERSION: JSON.stringify(version) },
    logLevel: 'silent',
  });
  // version.ts reads package.json through import.meta only when the version was not defined, and that
  // branch is removed from the bundle; any other warning may be a module the bundle cannot load.
  const warnings = result.warnings.filter(
    (w) => !(w.id === 'empty-import-meta' && w.location?.file.endsWith('src/cli/version.ts')),
  );
  if (warnings.length > 0) {
    throw new Error(`esbuild warnings:\n${warnings.map((w) => `${w.location?.file}:${w.location?.line}: ${w.text}`).join('\n')}`);
  }
  const text = readFileSync(file, 'utf8');
  if (text.includes('import.meta') || text.includes('package.json')) throw new Error('the bundle still reads package.json');
  return file;
}

function run(file: string, args: string[], env: NodeJS.ProcessEnv = {}): string {
  return execFileSync(file, args, { encoding: 'utf8', env: { PATH: '/usr/bin:/bin', ...env } });
}

function seaBlob(bundleFile: string, hostNode: string): Buffer {
  const config = join(out, 'sea-config.json');
  const blob = join(out, 'sea-prep.blob');
  // No code cache or snapshot: the blob must load in the Node of every platform, not only the one that made
  // it, and V8's code cache differs from run to run, which would make the archives irreproducible.
  writeFileSync(
    config,
    JSON.stringify({ main: bundleFile, output: blob, disableExperimentalSEAWarning: true, useCodeCache: false, useSnapshot: false }),
  );
  run(hostNode, ['--experimental-sea-config', config]);
  return readFileSync(blob);
}

async function singleExecutable(t: Target, blob: Buffer, dest: string): Promise<void> {
  const node = nodeBinary(t, log);
  if (t.os === 'darwin') writeFileSync(dest, stripMachOSignature(readFileSync(node)));
  else copyFileSync(node, dest);
  chmodSync(dest, 0o755);
  await inject(dest, 'NODE_SEA_BLOB', blob, {
    sentinelFuse: SEA_FUSE,
    ...(t.os === 'darwin' ? { machoSegmentName: 'NODE_SEA' } : {}),
  });
}

function tarGz(dir: string, files: string[], dest: string): void {
  const tar = execFileSync('tar', ['--sort=name', '--owner=0', '--group=0', '--numeric-owner', `--mtime=@${MTIME}`, '-C', dir, '-cf', '-', ...files], {
    maxBuffer: 1 << 30,
  });
  writeFileSync(dest, execFileSync('gzip', ['-9', '-n'], { input: tar, maxBuffer: 1 << 30 }));
}

async function main(): Promise<void> {
  const version = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version;
  const host = TARGETS.find((t) => t.os === 'linux' && t.arch === 'amd64')!;
  if (process.platform !== 'linux' || process.arch !== 'x64') throw new Error('npm run package runs on linux x64 (it runs the linux-amd64 binary it builds)');
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });

  const bundleFile = await bundle(version);
  const expected = `volume-doctor v${version} `;
  if (!run(process.execPath, [bundleFile, 'version']).startsWith(expected)) throw new Error('the bundle does not print its version');
  log(`bundle ${(statSync(bundleFile).size / 1024).toFixed(0)} KiB`);
  const blob = seaBlob(bundleFile, nodeBinary(host, log));

  const built: BuiltArchive[] = [];
  for (const t of TARGETS) {
    const stage = join(out, 'stage', `${t.os}-${t.arch}`);
    mkdirSync(stage, { recursive: true });
    const bin = join(stage, `${PLUGIN_BIN}${exeSuffix(t)}`);
    if (t.kind === 'sea') await singleExecutable(t, blob, bin);
    else {
      copyFileSync(join(here, 'launcher.sh'), bin);
      copyFileSync(bundleFile, join(stage, 'volume-doctor.cjs'));
    }
    if (t.os === 'windows') copyFileSync(join(here, 'complete.cmd'), join(stage, `${COMPLETION_BIN}.cmd`));
    else copyFileSync(join(root, 'bin', COMPLETION_BIN), join(stage, COMPLETION_BIN));
    copyFileSync(join(root, 'LICENSE'), join(stage, 'LICENSE'));
    copyFileSync(join(root, 'README.md'), join(stage, 'README.md'));
    for (const f of archiveFiles(t)) chmodSync(join(stage, f), f.startsWith(PLUGIN_BIN) || f.startsWith(COMPLETION_BIN) ? 0o755 : 0o644);

    if (t === host) {
      // The one binary that can run here: it must start without any Node on PATH.
      const printed = run(bin, ['version'], { PATH: '/nonexistent' });
      if (!printed.startsWith(expected) || !printed.includes(`node v${NODE_VERSION}`)) throw new Error(`${bin} version printed ${printed}`);
    }
    const archive = join(out, archiveName(version, t));
    tarGz(stage, archiveFiles(t), archive);
    built.push({ target: t, sha256: sha256File(archive) });
    log(`${archiveName(version, t)}  ${(statSync(archive).size / 2 ** 20).toFixed(1)} MiB  (${t.kind === 'sea' ? `single executable, Node ${NODE_VERSION}` : 'bundle, needs Node >= 20'})`);
  }
  rmSync(join(out, 'sea-prep.blob'));
  rmSync(join(out, 'sea-config.json'));
  const manifest = renderManifest(version, built);
  writeFileSync(join(root, 'volume-doctor.yaml'), manifest);
  // The copy beside the archives is the one the checks install from: the one at the top is committed.
  writeFileSync(join(out, 'volume-doctor.yaml'), manifest);
  log('wrote volume-doctor.yaml');
}

main().catch((err: unknown) => {
  process.stderr.write(`[package] error: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
