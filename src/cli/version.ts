import { Command } from 'commander';
import { readFileSync } from 'node:fs';

export function packageVersion(): string {
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
