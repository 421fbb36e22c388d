// Links between Longhorn's objects and Kubernetes': a Longhorn volume is named after its PV (CSI volume handle).
import { LONGHORN_DRIVER, LONGHORN_NAMESPACE } from '../model/kubernetes-names.js';
import type { Graph } from '../graph.js';
import type { LonghornVolumeFact, ObjectRef, PodFact, PvFact } from '../model/snapshot.js';

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

/** The Longhorn volume behind a PV: its handle (or name), when it is a Longhorn volume. */
export function longhornVolumeNameOf(pv: PvFact | undefined, attacher?: string): string | undefined {
  if (pv?.csi?.driver === LONGHORN_DRIVER) return pv.csi.volumeHandle;
  if (attacher === LONGHORN_DRIVER && pv) return pv.name;
  return undefined;
}

/**
 * What an attach finding about a Longhorn volume adds: when Longhorn's objects were read, a ref to the Longhorn
 * volume and its state (the Longhorn checks explain it further); when they were not, a line saying the finding rests
 * on the message alone, and how to look by hand.
 */
export function longhornLink(graph: Graph, volumeName: string): { related: ObjectRef[]; evidence: string[]; remedy?: string } {
  const ref: ObjectRef = { kind: 'Volume.longhorn.io', namespace: LONGHORN_NAMESPACE, name: volumeName };
  const byHand = `kubectl -n ${LONGHORN_NAMESPACE} get volumes.longhorn.io ${volumeName} -o yaml`;
  const lh = graph.snapshot.longhorn;
  if (!lh || !graph.wasRead('volumes.longhorn.io')) {
    return { related: [], evidence: [`Longhorn volume ${volumeName}: not read (Longhorn's objects were not available), so this rests on the message alone`], remedy: `Look at the Longhorn volume by hand: ${byHand}` };
  }
  const v = lh.volumes.find((x) => x.name === volumeName);
  if (!v) return { related: [], evidence: [`Longhorn volume ${volumeName}: not found among the Longhorn volumes read`], remedy: `Look for it by hand: ${byHand}` };
  const notTrue = v.conditions.filter((c) => c.status !== 'True' && c.type === 'Scheduled').map((c) => `condition ${c.type}=${c.status}${c.reason ? ` (${c.reason}${c.message ? `: ${c.message}` : ''})` : ''}`);
  return {
    related: [ref],
    evidence: [`Longhorn volume ${volumeName}: state ${v.state || 'unknown'}, robustness ${v.robustness || 'unknown'}${notTrue.length ? `, ${notTrue.join(', ')}` : ''} (see the Longhorn findings for this volume)`],
  };
}
