import type { KubeClient } from '../cluster/kube-client.js';
import type { ObjectRef } from '../model/snapshot.js';
import type { PlanOptions, RemediationPlan } from './types.js';

export interface ApplyContext {
  client: KubeClient;
  options: PlanOptions;
  serverDryRun: boolean;
  yes: boolean;
  timeoutMs: number;
  namespace?: string;
  target?: ObjectRef;
}

export async function applyPlan(plan: RemediationPlan, ctx: ApplyContext): Promise<RemediationPlan> {
  void ctx;
  throw new Error('apply is not written yet');
}
