// Links between Longhorn's objects and Kubernetes': a Longhorn volume is named after its PV (CSI volume handle).
import type { Graph } from '../graph.js';
import type { LonghornVolumeFact, PodFact, PvFact } from '../model/snapshot.js';

export const LONGHORN_DRIVER = 'driver.longhorn.io';

export function pvOfLonghornVolume(graph: Graph, v: LonghornVolumeFact): PvFact | undefined {
  if (v.pvName) return graph.pv(v.pvName);
  return graph.pvByUniqueName(`kubernetes.io/csi/${LONGHORN_DRIVER}^${v.name}`);
}

export function waitingPodsOf(graph: Graph, pv: PvFact | undefined): PodFact[] {
  return pv ? graph.podsUsingPv(pv.name).filter((p) => graph.isWaitingToStart(p)) : [];
}

export function inScope(graph: Graph, v: LonghornVolumeFact): boolean {
  const ns = graph.snapshot.namespace;
  return ns === undefined || v.pvcNamespace === ns;
}
