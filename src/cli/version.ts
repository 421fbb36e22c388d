import { Command } from 'commander';
import { readFileSync } from 'node:fs';

// The single-file build (hack/package/build.ts) replaces this name with the version, as a bundle has no
// package.json beside it; from the checkout or an npm install the version is read from package.json.
declare const VOLUME_DOCTOR_VERSION: string | undefined;

export function packageVersion(): string {
  if (typeof VOLUME_DOCTOR_VERSION === 'string') return VOLUME_DOCTOR_VERSION;
  const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

export function versionCommand(): Command {
  return new Command('version')
    .description('Print the volume-doctor version')
    .action(() => {
      process.stdout.write(`volume-doctor v${packageVersion()} (node ${process.version})\n`);
    });
}
