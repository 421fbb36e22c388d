import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { NODE_VERSION, Target } from './targets.js';

function cacheRoot(): string {
  return process.env.VOLUME_DOCTOR_CACHE || join(homedir(), '.cache', 'volume-doctor');
}

/** sha512 of the bytes, in npm's integrity notation. */
function integrityOf(bytes: Buffer): string {
  return `sha512-${createHash('sha512').update(bytes).digest('base64')}`;
}

/**
 * The Node executable of a target, fetched once with npm (by package name and pinned version) into a cache
 * outside the checkout, keyed by version. The tarball must match the integrity pinned in targets.ts, so a
 * changed or corrupted download stops the build instead of ending up in a release.
 */
export function nodeBinary(t: Target, log: (line: string) => void): string {
  const pkg = t.nodePackage;
  if (!pkg) throw new Error(`${t.os}/${t.arch} has no Node package`);
  const dir = join(cacheRoot(), 'node', `v${NODE_VERSION}`, pkg.name);
  const file = join(dir, t.os === 'windows' ? 'node.exe' : 'node');
  if (existsSync(file)) return file;

  mkdirSync(dir, { recursive: true });
  const tmp = mkdtempSync(join(dir, '.download-'));
  try {
    log(`fetching ${pkg.name}@${NODE_VERSION} from the npm registry`);
    execFileSync('npm', ['pack', `${pkg.name}@${NODE_VERSION}`, '--pack-destination', tmp, '--silent'], {
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    const tarball = readdirSync(tmp).find((f) => f.endsWith('.tgz'));
    if (!tarball) throw new Error(`npm pack ${pkg.name}@${NODE_VERSION} wrote no tarball`);
    const actual = integrityOf(readFileSync(join(tmp, tarball)));
    if (actual !== pkg.integrity) {
      throw new Error(`${pkg.name}@${NODE_VERSION}: tarball integrity ${actual} is not the pinned ${pkg.integrity}`);
    }
    const member = t.os === 'windows' ? 'package/bin/node.exe' : 'package/bin/node';
    execFileSync('tar', ['-xzf', join(tmp, tarball), '-C', tmp, member]);
    chmodSync(join(tmp, member), 0o755);
    renameSync(join(tmp, member), file);
    return file;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
