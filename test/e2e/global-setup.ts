// Starts one real control plane for the whole e2e run and stops exactly its processes afterwards.
import type { TestProject } from 'vitest/node';
import { down, up } from '../../hack/cluster/controlplane.js';
import { findCluster } from '../../hack/cluster/state.js';

declare module 'vitest' {
  export interface ProvidedContext {
    clusterDir: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const state = await up(4);
  project.provide('clusterDir', state.dir);
  return async () => {
    // Re-read: tests start and stop per-node kwok processes.
    await down(findCluster(state.dir));
  };
}
