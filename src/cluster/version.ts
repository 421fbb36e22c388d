import type { ServerVersion } from '../model/snapshot.js';

/** From /version or `kubectl version -o json`'s serverVersion; minor may carry a '+' (e.g. "33+"). */
export function parseVersion(v: { major?: string; minor?: string; gitVersion?: string }): ServerVersion | undefined {
  const fromGit = /^v?(\d+)\.(\d+)/.exec(v.gitVersion ?? '');
  const major = parseInt(v.major ?? fromGit?.[1] ?? '', 10);
  const minor = parseInt(v.minor ?? fromGit?.[2] ?? '', 10);
  if (Number.isNaN(major) || Number.isNaN(minor)) return undefined;
  return { major, minor, gitVersion: v.gitVersion ?? `v${major}.${minor}` };
}
