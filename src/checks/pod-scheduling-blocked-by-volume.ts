import { defineCheck, type FindingDraft } from './check.js';
import type { EventFact, NodeFact, NodeSelectorTerm, ObjectRef, PodFact, PvcFact, PvFact } from '../model/snapshot.js';
import type { Graph, PodVolume } from '../graph.js';
import { quantityBytes } from '../graph.js';
import { describeTerms } from '../util/node-selector.js';
import { nodeRef, podRef, pvRef, pvcRef, shortName } from '../util/refs.js';
import { formatDuration } from '../util/time.js';
import { finding, kubectl } from './common.js';
import { VOLUME_WAIT_CRITICAL_MS, WAITING_POD_GRACE_MS } from './thresholds.js';
import { conditionSignal, eventSignal, VOLUME_SCHEDULING_TEXT } from './volume-wait-unexplained.js';

const ID = 'pod-scheduling-blocked-by-volume';

type ReasonKind =
  | 'node-affinity' | 'attach-limit' | 'unbound-immediate' | 'no-pv' | 'rwop' | 'capacity' | 'pv-missing'
  | 'volume-zone' | 'disk-conflict' | 'claim' | 'other';

/**
 * The fixed phrases of the scheduler's volume plugins (VolumeBinding, VolumeRestrictions, NodeVolumeLimits,
 * VolumeZone). Kubernetes 1.33 words the node affinity conflict "didn't match PersistentVolume's node affinity";
 * earlier releases wrote "had volume node affinity conflict".
 */
const PHRASES: { kind: ReasonKind; re: RegExp }[] = [
  { kind: 'node-affinity', re: /node\(s\) (?:had volume node affinity conflict|didn't match PersistentVolume's node affinity)/i },
  { kind: 'attach-limit', re: /node\(s\) exceed max volume count/i },
  { kind: 'unbound-immediate', re: /pod has unbound (?:immediate )?PersistentVolumeClaims/i },
  { kind: 'no-pv', re: /node\(s\) didn't find available persistent volumes to bind/i },
  { kind: 'rwop', re: /node has pod using PersistentVolumeClaim with the same name and ReadWriteOncePod access mode/i },
  { kind: 'capacity', re: /node\(s\) did not have enough free storage/i },
  { kind: 'pv-missing', re: /node\(s\) unavailable due to one or more pvc\(s\) bound to non-existent pv\(s\)/i },
  { kind: 'volume-zone', re: /node\(s\) had no available volume zone/i },
  { kind: 'disk-conflict', re: /node\(s\) had no available disk/i },
  { kind: 'claim', re: /persistentvolumeclaim "[^"]+" (?:not found|is being deleted|bound to non-existent persistentvolume)|waiting for ephemeral volume controller to create the persistentvolumeclaim|PersistentVolumeClaim had no (?:name|pv name)/i },
];

export interface SchedulerReason {
  kind: ReasonKind;
  /** The clause as the scheduler wrote it, without its node count: "node(s) exceed max volume count". */
  text: string;
  /** How many nodes it ruled out ("2 node(s) ..."); absent for reasons about the pod itself. */
  nodes?: number;
}

/**
 * The volume reasons in a scheduler message: "0/5 nodes are available: 2 node(s) had volume node affinity conflict,
 * 3 Insufficient cpu. preemption: 0/5 nodes are available: ..." gives one reason. The preemption part repeats
 * what preemption could do, not why the pod did not fit, and is left out.
 */
export function volumeReasons(message: string): { total?: number; reasons: SchedulerReason[] } {
  const main = message.split(/\s+preemption:/i)[0];
  const total = /^\s*0\/(\d+) nodes are available/i.exec(main)?.[1];
  const body = main.replace(/^\s*0\/\d+ nodes are available:\s*/i, '');
  const reasons: SchedulerReason[] = [];
  for (const raw of body.split(/(?<=\.)\s+|,\s+(?=\d+ )/)) {
    const clause = raw.trim().replace(/\.+$/, '');
    const counted = /^(\d+)\s+(.+)$/.exec(clause);
    const text = counted ? counted[2] : clause;
    const phrase = PHRASES.find((p) => p.re.test(text));
    if (!phrase && !VOLUME_SCHEDULING_TEXT.test(text)) continue;
    reasons.push({ kind: phrase?.kind ?? 'other', text, ...(counted ? { nodes: Number(counted[1]) } : {}) });
  }
  return { total: total === undefined ? undefined : Number(total), reasons };
}

interface SchedulerView {
  message: string;
  lines: string[];
}

/**
 * What the scheduler last said about a pod it could not place: the PodScheduled=False condition's message (the
 * scheduler rewrites it on every attempt, so it is the present), else the newest FailedScheduling warning of this
 * pod's incarnation. Undefined for a pod that is scheduled, gated, or has no such message.
 */
function schedulerView(graph: Graph, pod: PodFact): SchedulerView | undefined {
  if (pod.nodeName) return undefined;
  const condition = pod.conditions.find((c) => c.type === 'PodScheduled');
  if (condition && (condition.status === 'True' || (condition.reason && condition.reason !== 'Unschedulable'))) return undefined;
  const events = graph.eventsFor('Pod', pod.namespace, pod.name)
    .filter((e) => e.reason === 'FailedScheduling' && e.type === 'Warning' && graph.isCurrentEvent(pod, e))
    .sort((a, b) => (b.lastTimestamp ?? b.firstTimestamp ?? '').localeCompare(a.lastTimestamp ?? a.firstTimestamp ?? ''));
  const newest: EventFact | undefined = events[0];
  const message = condition?.message ?? newest?.message;
  if (!message) return undefined;
  return {
    message,
    lines: [
      ...(condition?.message ? [conditionSignal(graph, condition, true).line] : []),
      ...(newest ? [eventSignal(newest).line] : []),
    ],
  };
}

/** The scheduler's volume reasons for an unscheduled pod, or none: shared with checks that point here. */
export function schedulingVolumeReasons(graph: Graph, pod: PodFact): SchedulerReason[] {
  const view = schedulerView(graph, pod);
  return view ? volumeReasons(view.message).reasons : [];
}

// ---- state behind each reason --------------------------------------------------------------------

interface Part {
  /** What the state shows, in one phrase for the summary. */
  says: string;
  evidence: string[];
  remedies: string[];
  related: ObjectRef[];
  /** The state blocks the pod on every node whatever the other reasons say (a volume no node can reach): it leads. */
  decisive?: boolean;
}

const MAX_LISTED = 6;
const list = (names: string[]) => (names.length > MAX_LISTED ? `${names.slice(0, MAX_LISTED).join(', ')} and ${names.length - MAX_LISTED} more` : names.join(', '));
const terminal = (p: PodFact) => p.phase === 'Succeeded' || p.phase === 'Failed';

/** Why the scheduler would skip a node whatever the volumes: NotReady, cordoned, tainted. Empty when it is usable. */
function nodeProblems(n: NodeFact): string[] {
  const out: string[] = [];
  if (n.ready !== 'True') out.push(`NotReady (${n.ready})`);
  if (n.unschedulable) out.push('cordoned');
  const taints = n.taints.filter((t) => t.effect === 'NoSchedule' || t.effect === 'NoExecute');
  if (taints.length) out.push(`tainted ${taints.map((t) => `${t.key}${t.value ? `=${t.value}` : ''}:${t.effect}`).join(', ')}`);
  return out;
}

const nodeWithProblems = (n: NodeFact) => {
  const problems = nodeProblems(n);
  return problems.length ? `${n.name} (${problems.join(', ')})` : n.name;
};

/** "nodes have topology.kubernetes.io/zone=zone-a (worker-1, worker-2), zone-c (worker-3)", per key the terms use. */
function nodeLabelSummary(nodes: NodeFact[], terms: NodeSelectorTerm[]): string {
  const keys = [...new Set(terms.flatMap((t) => t.matchExpressions.map((r) => r.key)))];
  if (!keys.length) return `nodes: ${list(nodes.map((n) => n.name))}`;
  return keys.map((key) => {
    const byValue = new Map<string | undefined, string[]>();
    for (const n of nodes) {
      const value = Object.hasOwn(n.labels, key) ? n.labels[key] : undefined;
      byValue.set(value, [...(byValue.get(value) ?? []), n.name]);
    }
    const groups = [...byValue.entries()].sort(([a], [b]) => (a ?? '\uffff').localeCompare(b ?? '\uffff'))
      .map(([value, names]) => `${value === undefined ? 'unset' : value === '' ? '""' : value} (${list(names)})`);
    return `nodes have ${key}=${groups.join(', ')}`;
  }).join('; ');
}

const pvAffinityCommand = (pv: string) => `kubectl get pv ${pv} -o jsonpath='{.spec.nodeAffinity}'`;
const nodesWithLabels = (terms: NodeSelectorTerm[]) => {
  const keys = [...new Set(terms.flatMap((t) => t.matchExpressions.map((r) => r.key)))];
  return `kubectl get nodes${keys.length ? ` -L ${keys.join(',')}` : ' --show-labels'}`;
};
const nodesUnknown = (graph: Graph) => !graph.wasRead('nodes') || graph.allNodes().length === 0;

function nodeAffinityPart(graph: Graph, volumes: PodVolume[]): Part {
  const withAffinity = volumes.filter((v): v is PodVolume & { pv: PvFact & { nodeAffinity: NodeSelectorTerm[] } } => !!v.pv?.nodeAffinity);
  const related = withAffinity.map((v) => pvRef(v.pv.name));
  const neverDelete = 'Never remove or rewrite a PersistentVolume\'s nodeAffinity to force the pod elsewhere: it says which nodes can reach the disk, and a node that cannot reach it cannot mount it.';
  if (!withAffinity.length) {
    const names = volumes.map((v) => v.pvc?.volumeName).filter((n): n is string => !!n);
    return {
      says: `the scheduler found no node that can reach the pod's volumes, but ${names.length ? list(names) : 'no volume of the pod'} ${names.length > 1 ? 'have' : 'has'} no node affinity in what was read (it may have changed since)`,
      evidence: [`node affinity of ${names.length ? list(names) : 'the pod\'s volumes'}: ${graph.wasRead('persistentvolumes') ? 'none in what was read (the volume may have been replaced since, or the dump holds another copy)' : 'unknown (PersistentVolumes could not be read)'}`],
      remedies: [...names.map((n) => `Where ${n} can be used: ${pvAffinityCommand(n)}; compare with: kubectl get nodes --show-labels`), neverDelete],
      related: names.map(pvRef),
    };
  }
  if (nodesUnknown(graph)) {
    return {
      says: `${withAffinity.map((v) => v.pv.name).join(', ')} can only be used on nodes with ${withAffinity.map((v) => describeTerms(v.pv.nodeAffinity)).join('; ')}, and nodes could not be read to compare`,
      evidence: withAffinity.map((v) => `persistentvolume ${v.pv.name} node affinity: ${describeTerms(v.pv.nodeAffinity)}`),
      remedies: [...withAffinity.map((v) => `Compare: ${nodesWithLabels(v.pv.nodeAffinity)}`), neverDelete],
      related,
    };
  }
  const nodes = graph.allNodes();
  const evidence: string[] = [];
  const says: string[] = [];
  let fit: NodeFact[] = nodes;
  for (const v of withAffinity) {
    const terms = v.pv.nodeAffinity;
    const matching = graph.nodesMatching(terms);
    const matchingNames = new Set(matching.map((n) => n.name));
    fit = fit.filter((n) => matchingNames.has(n.name));
    evidence.push(`persistentvolume ${v.pv.name} (claim ${v.claimName}) node affinity: ${describeTerms(terms)}; matching nodes: ${matching.length ? list(matching.map(nodeWithProblems)) : 'none'}`);
    if (!matching.length) says.push(`${v.pv.name} can only be used on nodes with ${describeTerms(terms)}; ${nodeLabelSummary(nodes, terms)}`);
  }
  evidence.push(`nodes: ${list(nodes.map(nodeWithProblems))}`);
  const remedies: string[] = [];
  const keysCommand = nodesWithLabels(withAffinity.flatMap((v) => v.pv.nodeAffinity));
  if (says.length) {
    remedies.push(`The data is where the volume is: bring back or add a node that matches (for a zonal disk, a node in that zone, e.g. scale up the node group there); check with: ${keysCommand}`);
  } else if (!fit.length) {
    says.push(`no node can reach all of the pod's volumes at once: ${withAffinity.map((v) => `${v.pv.name} only on ${list(graph.nodesMatching(v.pv.nodeAffinity).map((n) => n.name))}`).join(', ')}`);
    remedies.push(`The volumes are in different places (e.g. zones): a pod can only use volumes one node can reach. Keep the data of one pod in one topology domain (restore or copy one volume next to the other); check with: ${keysCommand}`);
  } else {
    const usable = fit.filter((n) => !nodeProblems(n).length);
    if (!usable.length) {
      says.push(`only ${list(fit.map(nodeWithProblems))} can reach ${withAffinity.map((v) => v.pv.name).join(', ')}, and the scheduler cannot use ${fit.length > 1 ? 'them' : 'it'}`);
      const cordoned = fit.filter((n) => n.unschedulable).map((n) => n.name);
      const notReady = fit.filter((n) => n.ready !== 'True').map((n) => n.name);
      const tainted = fit.filter((n) => !n.unschedulable && n.ready === 'True').map((n) => n.name);
      remedies.push(...[
        ...(notReady.length ? [`Bring ${list(notReady)} back to Ready (kubectl describe node ${notReady[0]}); the pod can only run where its volume is.`] : []),
        ...(cordoned.length ? [`Uncordon ${list(cordoned)} once whatever it was cordoned for (maintenance, a drain) is over: kubectl uncordon ${cordoned.join(' ')}`] : []),
        ...(tainted.length ? [`See the taints on ${list(tainted)} and whether the pod should tolerate them: kubectl describe node ${tainted[0]} | grep -A3 Taints`] : []),
        `The nodes and their labels: ${keysCommand}`,
      ]);
    } else {
      says.push(`${list(usable.map((n) => n.name))} can reach ${withAffinity.map((v) => v.pv.name).join(', ')} and look usable now; the scheduler rejected ${usable.length > 1 ? 'them' : 'it'} for another reason in its message, or the state has changed since`);
      remedies.push(`Read the rest of the scheduler's message for why ${list(usable.map((n) => n.name))} did not fit (resources, taints, the pod's own node affinity): ${keysCommand}`);
    }
  }
  remedies.push(neverDelete);
  return { says: says.join('; '), evidence, remedies, related: [...related, ...fit.slice(0, MAX_LISTED).map((n) => nodeRef(n.name))], decisive: !fit.length };
}

/** The CSI driver and a unique volume key of a pod volume, counted as the NodeVolumeLimits plugin does. */
function csiKey(graph: Graph, v: PodVolume): { driver: string; key: string } | undefined {
  if (v.pv?.csi) return { driver: v.pv.csi.driver, key: `${v.pv.csi.driver}^${v.pv.csi.volumeHandle}` };
  if (v.pvc && !v.pvc.volumeName) {
    const className = v.pvc.storageClassName;
    const sc = className ? graph.snapshot.storageClasses.find((c) => c.name === className) : graph.snapshot.storageClasses.find((c) => c.isDefault);
    if (sc) return { driver: sc.provisioner, key: `${sc.provisioner}^new ${v.pvc.namespace}/${v.pvc.name}` };
  }
  return undefined;
}

/** Unique CSI volumes counted against a node's limits: those of its non-terminated pods and of its VolumeAttachments. */
function volumesCountedOn(graph: Graph, node: string): { byKey: Map<string, string>; attachmentOnly: number } {
  const byKey = new Map<string, string>();
  for (const p of graph.podsOnNode(node)) {
    if (terminal(p)) continue;
    for (const v of graph.podVolumes(p)) {
      const k = v.pv?.csi ? csiKey(graph, v) : undefined;
      if (k) byKey.set(k.key, k.driver);
    }
  }
  let attachmentOnly = 0;
  for (const va of graph.attachmentsOnNode(node)) {
    const pv = va.persistentVolumeName ? graph.pv(va.persistentVolumeName) : undefined;
    if (!pv?.csi || !va.attacher) continue;
    const key = `${va.attacher}^${pv.csi.volumeHandle}`;
    if (!byKey.has(key)) {
      byKey.set(key, va.attacher);
      attachmentOnly++;
    }
  }
  return { byKey, attachmentOnly };
}

function attachLimitPart(graph: Graph, pod: PodFact, volumes: PodVolume[]): Part {
  const mine = volumes.map((v) => csiKey(graph, v)).filter((k): k is { driver: string; key: string } => !!k);
  const drivers = [...new Set(mine.map((k) => k.driver))];
  if (!graph.wasRead('csinodes') || graph.snapshot.csiNodes.length === 0) {
    return {
      says: 'nodes have reached their attach limit; CSINodes could not be read to say which',
      evidence: [`the pod's CSI volumes: ${mine.length ? list(mine.map((k) => k.key)) : 'none known'}`],
      remedies: ['Compare each node\'s limit with its attached volumes: kubectl get csinodes -o custom-columns=NODE:.metadata.name,DRIVERS:.spec.drivers[*].name,LIMITS:.spec.drivers[*].allocatable.count'],
      related: [],
    };
  }
  const full: { node: string; driver: string; used: number; limit: number; adds: number; attachmentOnly: number }[] = [];
  for (const csiNode of graph.snapshot.csiNodes) {
    const { byKey, attachmentOnly } = volumesCountedOn(graph, csiNode.name);
    for (const { driver, count } of csiNode.limits) {
      const adds = mine.filter((k) => k.driver === driver && !byKey.has(k.key)).length;
      if (!adds) continue;
      const used = [...byKey.values()].filter((d) => d === driver).length;
      if (used + adds > count) full.push({ node: csiNode.name, driver, used, limit: count, adds, attachmentOnly });
    }
  }
  const evidence = [`the pod's CSI volumes: ${mine.length ? list(mine.map((k) => k.key)) : 'none known'}`];
  if (!full.length) {
    return {
      says: `no node is at its ${drivers.join(', ') || 'CSI'} attach limit in what was read (the count may have changed since, or pods and attachments were not all read)`,
      evidence: [...evidence, ...graph.snapshot.csiNodes.filter((n) => n.limits.length).map((n) => `csinode ${n.name}: ${n.limits.map((l) => `${l.driver} limit ${l.count}`).join(', ')}`)],
      remedies: [
        'Compare each node\'s limit with its attached volumes: kubectl get csinodes -o yaml; kubectl get volumeattachments -o wide',
        'Then free an attachment slot on a node (move or stop a pod that uses a volume of that driver) or add a node; never raise a CSINode\'s allocatable.count by hand.',
      ],
      related: [],
    };
  }
  for (const f of full) {
    evidence.push(`node ${f.node}: ${f.used} of ${f.limit} ${f.driver} volumes in use (CSINode allocatable.count ${f.limit})${f.attachmentOnly ? `, ${f.attachmentOnly} of them only by a VolumeAttachment no pod there uses` : ''}; this pod adds ${f.adds}`);
  }
  const nodes = [...new Set(full.map((f) => f.node))];
  const byDriver = [...new Set(full.map((f) => f.driver))];
  const stale = full.some((f) => f.attachmentOnly);
  return {
    says: `${list(nodes)} ${nodes.length > 1 ? 'are' : 'is'} at ${nodes.length > 1 ? 'their' : 'its'} ${byDriver.join(', ')} attach limit (${full.map((f) => `${f.node} ${f.used}/${f.limit}`).slice(0, MAX_LISTED).join(', ')})`,
    evidence,
    remedies: [
      `Free an attachment slot: move or stop pods that use ${byDriver.join(', ')} volumes on ${list(nodes)} (kubectl get pods -A -o wide --field-selector spec.nodeName=${nodes[0]}), or add a node (a cluster autoscaler adds one for this reason) or use a node type with a higher limit.`,
      // The attachment listing greps its rows for a word: a node name selects that node's attachments.
      ...(stale ? [`Attachments no pod uses also count: ${kubectl.vasForPv(nodes[0])}; they detach by themselves once the node's kubelet has unmounted them.`] : []),
      'Never raise a CSINode\'s allocatable.count by hand: the node plugin reports what the machine can attach, and attaching past it fails on the node.',
    ],
    related: [...nodes.map(nodeRef), ...pvRefs(volumes)],
  };
}

const pvRefs = (volumes: PodVolume[]) => volumes.flatMap((v) => (v.pvc?.volumeName ? [pvRef(v.pvc.volumeName)] : []));

function unboundImmediatePart(graph: Graph, pod: PodFact, volumes: PodVolume[]): Part {
  const missing = volumes.filter((v) => !v.pvc);
  const unbound = volumes.filter((v) => v.pvc && v.pvc.phase !== 'Bound');
  const related = [...volumes.map((v) => pvcRef({ namespace: pod.namespace, name: v.claimName }))];
  if (unbound.length || missing.length) {
    return {
      says: [
        ...unbound.map((v) => `claim ${v.claimName} is ${v.pvc!.phase}: see the pvc-pending finding for claim ${pod.namespace}/${v.claimName}`),
        ...missing.map((v) => `claim ${v.claimName} ${graph.wasRead('persistentvolumeclaims') ? 'does not exist' : 'could not be read'}`),
      ].join('; '),
      evidence: unbound.map((v) => `persistentvolumeclaim/${v.claimName} -n ${pod.namespace}: ${v.pvc!.phase}, storageClassName ${v.pvc!.storageClassName ?? '(unset)'}`),
      remedies: [`The pod is scheduled as soon as its claims are bound: follow the pvc-pending finding for ${unbound.map((v) => v.claimName).join(', ') || missing.map((v) => v.claimName).join(', ')} (kubectl describe pvc ${(unbound[0] ?? missing[0]).claimName} -n ${pod.namespace}).`],
      related,
    };
  }
  return {
    says: 'all its claims are Bound in what was read (the message predates the binding, or the state has changed since); the scheduler retries by itself',
    evidence: volumes.map((v) => `persistentvolumeclaim/${v.claimName} -n ${pod.namespace}: ${v.pvc!.phase}${v.pvc!.volumeName ? ` to ${v.pvc!.volumeName}` : ''}`),
    remedies: [`See whether the scheduler still gives this reason: ${kubectl.describePod(pod)}; and the claims: kubectl get pvc -n ${pod.namespace} ${volumes.map((v) => v.claimName).join(' ')}`],
    related,
  };
}

function modes(m: string[]): string {
  return m.length ? m.join('/') : 'no access modes';
}

/** Why an Available PV cannot take a claim (class, reservation, size, access modes, node affinity), or [] when it can. */
function whyNotFor(graph: Graph, pvc: PvcFact, pv: PvFact): string[] {
  const out: string[] = [];
  if (pv.claimRef && (pv.claimRef.namespace !== pvc.namespace || pv.claimRef.name !== pvc.name)) out.push(`reserved for claim ${pv.claimRef.namespace}/${pv.claimRef.name}`);
  const have = quantityBytes(pv.capacityStorage);
  const want = quantityBytes(pvc.requestedStorage);
  if (have !== undefined && want !== undefined && have < want) out.push(`too small (${pv.capacityStorage} < ${pvc.requestedStorage} requested)`);
  const lacking = pvc.accessModes.filter((m) => !pv.accessModes.includes(m));
  if (lacking.length) out.push(`offers ${modes(pv.accessModes)}, the claim asks ${modes(pvc.accessModes)}`);
  if (pv.nodeAffinity && !nodesUnknown(graph)) {
    const matching = graph.nodesMatching(pv.nodeAffinity);
    if (!matching.length) out.push(`only on nodes with ${describeTerms(pv.nodeAffinity)}, and no node has that`);
    else if (matching.every((n) => nodeProblems(n).length)) out.push(`only on ${list(matching.map(nodeWithProblems))}`);
  }
  return out;
}

function noPvPart(graph: Graph, pod: PodFact, volumes: PodVolume[]): Part {
  const unbound = volumes.filter((v): v is PodVolume & { pvc: PvcFact } => !!v.pvc && !v.pvc.volumeName);
  const related: ObjectRef[] = unbound.map((v) => pvcRef(v.pvc));
  if (!unbound.length) {
    return { says: 'all its claims are bound now', evidence: [], remedies: [`Check again shortly: ${kubectl.describePod(pod)}`], related };
  }
  const says: string[] = [];
  const evidence: string[] = [];
  for (const { pvc } of unbound) {
    const className = pvc.storageClassName ?? '';
    const ofClass = graph.allPvs().filter((pv) => (pv.storageClassName ?? '') === className);
    const available = ofClass.filter((pv) => pv.phase === 'Available');
    evidence.push(`persistentvolumeclaim/${pvc.name} -n ${pvc.namespace}: asks ${pvc.requestedStorage ?? '(no size)'}, ${modes(pvc.accessModes)}, class "${className}"`);
    if (!available.length) {
      says.push(`no Available PersistentVolume of class "${className}" for claim ${pvc.name} (${ofClass.length} of that class, none Available)`);
      continue;
    }
    const fits: string[] = [];
    for (const pv of available.slice(0, MAX_LISTED)) {
      const why = whyNotFor(graph, pvc, pv);
      related.push(pvRef(pv.name));
      evidence.push(`persistentvolume ${pv.name}: Available, ${pv.capacityStorage ?? '(no size)'}, ${modes(pv.accessModes)}${pv.nodeAffinity ? `, on nodes with ${describeTerms(pv.nodeAffinity)}` : ''}: ${why.length ? why.join('; ') : 'fits'}`);
      if (!why.length) fits.push(pv.name);
    }
    if (available.length > MAX_LISTED) evidence.push(`${available.length - MAX_LISTED} more Available volume(s) of class "${className}" not shown`);
    says.push(fits.length
      ? `${list(fits)} look${fits.length > 1 ? '' : 's'} like ${fits.length > 1 ? 'they fit' : 'it fits'} claim ${pvc.name}, but not on a node the pod could use (the pod's own constraints, or the state has changed)`
      : `none of the ${available.length} Available PersistentVolume(s) of class "${className}" fits claim ${pvc.name}`);
  }
  return {
    says: says.join('; '),
    evidence,
    remedies: [
      'Create (or let the local-volume provisioner discover) a PersistentVolume of that class with at least the requested size and the claim\'s access modes, on a node the pod can run on; or use a StorageClass that provisions volumes.',
      'See the volumes and where they can be used: kubectl get pv -o wide; kubectl get pv NAME -o jsonpath=\'{.spec.nodeAffinity}\'',
      'Never create a PersistentVolume that points at a disk or directory another volume already uses.',
    ],
    related,
  };
}

function rwopPart(graph: Graph, pod: PodFact, volumes: PodVolume[]): Part {
  const rwop = volumes.filter((v) => v.pvc?.accessModes.includes('ReadWriteOncePod'));
  const holders = rwop.flatMap((v) => graph.podsUsingClaim(pod.namespace, v.claimName)
    .filter((p) => p.name !== pod.name && p.nodeName && !terminal(p))
    .map((p) => ({ claim: v.claimName, pod: p })));
  if (!holders.length) {
    return {
      says: `${rwop.length ? `claim ${rwop.map((v) => v.claimName).join(', ')} is ReadWriteOncePod, but` : 'no claim of the pod is ReadWriteOncePod in what was read and'} no other scheduled pod using it was found (it may have stopped since)`,
      evidence: rwop.map((v) => `persistentvolumeclaim/${v.claimName} -n ${pod.namespace}: ${modes(v.pvc!.accessModes)}`),
      remedies: [`Which pod uses the claim: kubectl get pods -n ${pod.namespace} -o wide, and look for the claim in their volumes`],
      related: rwop.map((v) => pvcRef({ namespace: pod.namespace, name: v.claimName })),
    };
  }
  const state = (p: PodFact) => `${p.deletionTimestamp ? 'Terminating' : p.phase} on ${p.nodeName}`;
  return {
    says: holders.map((h) => `claim ${h.claim} is ReadWriteOncePod and pod ${shortName(h.pod)} (${state(h.pod)}) holds it`).join('; '),
    evidence: holders.map((h) => `pod ${shortName(h.pod)} uses claim ${h.claim}: ${state(h.pod)}`),
    remedies: [
      `Only one pod may use a ReadWriteOncePod claim: stop ${list(holders.map((h) => shortName(h.pod)))} first (scale its workload down). A Deployment that uses the claim needs strategy Recreate, since a rolling update starts the new pod before the old one stops.`,
      'Never force-delete the holding pod while its node may still be running it: two writers corrupt the volume.',
    ],
    related: [...rwop.map((v) => pvcRef({ namespace: pod.namespace, name: v.claimName })), ...holders.map((h) => podRef(h.pod))],
  };
}

function capacityPart(pod: PodFact, volumes: PodVolume[]): Part {
  const unbound = volumes.filter((v): v is PodVolume & { pvc: PvcFact } => !!v.pvc && !v.pvc.volumeName);
  return {
    says: `the storage driver reports too little free capacity near the nodes for ${unbound.length ? unbound.map((v) => `claim ${v.claimName} (${v.pvc.requestedStorage ?? 'no size'} of class ${v.pvc.storageClassName ?? '(default)'})`).join(', ') : 'the pod\'s new volumes'}`,
    evidence: unbound.map((v) => `persistentvolumeclaim/${v.claimName} -n ${pod.namespace}: asks ${v.pvc.requestedStorage ?? '(no size)'}, class ${v.pvc.storageClassName ?? '(unset)'}`),
    remedies: [
      'See what the driver reports per topology segment: kubectl get csistoragecapacities -A -o wide',
      'Free or add storage in a segment the pod can use (e.g. disks of a local-volume driver), or ask for a smaller volume.',
    ],
    related: unbound.map((v) => pvcRef(v.pvc)),
  };
}

function pvMissingPart(graph: Graph, pod: PodFact, volumes: PodVolume[]): Part {
  const gone = volumes.filter((v) => v.pvc?.volumeName && !v.pv);
  const read = graph.wasRead('persistentvolumes');
  return {
    says: gone.length
      ? gone.map((v) => `claim ${v.claimName} is bound to ${v.pvc!.volumeName}, which ${read ? 'does not exist' : 'could not be read'}`).join('; ')
      : 'a claim of the pod is bound to a PersistentVolume that does not exist (not seen in what was read)',
    evidence: gone.map((v) => `persistentvolumeclaim/${v.claimName} -n ${pod.namespace}: volumeName ${v.pvc!.volumeName}`),
    remedies: [
      'The claim points at a deleted volume: restore the PersistentVolume object from a backup of it if the disk still exists, or, if the data is not needed, recreate the claim.',
      ...gone.map((v) => `kubectl get pv ${v.pvc!.volumeName}; kubectl describe pvc ${v.claimName} -n ${pod.namespace}`),
    ],
    related: gone.flatMap((v) => [pvcRef({ namespace: pod.namespace, name: v.claimName }), pvRef(v.pvc!.volumeName!)]),
  };
}

function quotedPart(kind: ReasonKind, reason: SchedulerReason, pod: PodFact, volumes: PodVolume[]): Part {
  const pvs = volumes.flatMap((v) => (v.pvc?.volumeName ? [v.pvc.volumeName] : []));
  const claim = /persistentvolumeclaim "([^"]+)"/i.exec(reason.text)?.[1];
  const remedies: Record<string, string[]> = {
    'volume-zone': [`Compare the volumes' zone labels with the nodes': ${pvs.length ? `kubectl get pv ${pvs.join(' ')} --show-labels` : 'kubectl get pv --show-labels'}; kubectl get nodes -L topology.kubernetes.io/zone,topology.kubernetes.io/region`, 'Run the pod in the zone of its volume (add or bring back a node there).'],
    'disk-conflict': ['Another pod on those nodes already uses the same inline disk (GCE PD, AWS EBS, RBD or iSCSI) in a way that cannot be shared: stop it, or use one pod per disk.', `kubectl get pods -A -o wide; ${kubectl.describePod(pod)}`],
    claim: [claim ? `kubectl describe pvc ${claim} -n ${pod.namespace}` : `kubectl get pvc -n ${pod.namespace}`, 'The pod cannot be scheduled until the claim it names exists, is bound and is not being deleted: create it (or fix the name in the pod\'s spec), or wait for the ephemeral volume controller.'],
    other: [kubectl.describePod(pod), `kubectl describe pvc -n ${pod.namespace} ${volumes.map((v) => v.claimName).join(' ')}`.trim()],
  };
  const says: Record<string, string> = {
    'volume-zone': `a volume's zone labels match none of the nodes (${reason.text})`,
    'disk-conflict': `an inline disk of the pod is in use by another pod there (${reason.text})`,
    claim: `the scheduler cannot use a claim of the pod: ${reason.text}`,
    other: `the scheduler names a volume reason volume-doctor has no specific diagnosis for: "${reason.text}"`,
  };
  return {
    says: says[kind] ?? says.other,
    evidence: [],
    remedies: remedies[kind] ?? remedies.other,
    related: claim ? [pvcRef({ namespace: pod.namespace, name: claim })] : [],
  };
}

function partFor(graph: Graph, pod: PodFact, volumes: PodVolume[], reason: SchedulerReason): Part {
  switch (reason.kind) {
    case 'node-affinity': return nodeAffinityPart(graph, volumes);
    case 'attach-limit': return attachLimitPart(graph, pod, volumes);
    case 'unbound-immediate': return unboundImmediatePart(graph, pod, volumes);
    case 'no-pv': return noPvPart(graph, pod, volumes);
    case 'rwop': return rwopPart(graph, pod, volumes);
    case 'capacity': return capacityPart(pod, volumes);
    case 'pv-missing': return pvMissingPart(graph, pod, volumes);
    default: return quotedPart(reason.kind, reason, pod, volumes);
  }
}

const NAMES: Record<ReasonKind, string> = {
  'node-affinity': 'volume node affinity conflict',
  'attach-limit': 'attach limit reached',
  'unbound-immediate': 'unbound immediate claims',
  'no-pv': 'no available PersistentVolume to bind',
  rwop: 'ReadWriteOncePod claim in use',
  capacity: 'not enough free storage',
  'pv-missing': 'claim bound to a missing PersistentVolume',
  'volume-zone': 'volume zone conflict',
  'disk-conflict': 'disk conflict',
  claim: 'claim unusable',
  other: 'volume reason',
};

export const podSchedulingBlockedByVolume = defineCheck({
  id: ID,
  title: 'Pod cannot be scheduled because of its volumes',
  severity: 'critical',
  reads: ['pods', 'events', 'persistentvolumeclaims', 'persistentvolumes', 'nodes', 'csinodes', 'volumeattachments', 'storageclasses'],
  docs: `A pod has not been scheduled for more than ${formatDuration(WAITING_POD_GRACE_MS)} (no spec.nodeName, PodScheduled=False, reason Unschedulable), and the scheduler's message (the condition's message, or the newest FailedScheduling warning about the pod) names a volume reason. volume-doctor quotes the message verbatim, names the reason and says, from the state it read, what lies behind it:

- volume node affinity conflict ("node(s) didn't match PersistentVolume's node affinity" from Kubernetes 1.33, "node(s) had volume node affinity conflict" before): the PersistentVolume can only be used on nodes with certain labels (a zonal disk, a local volume). volume-doctor compares the volume's spec.nodeAffinity with the node labels, names the mismatch ("pv-x can only be used on nodes with topology.kubernetes.io/zone=zone-b; nodes have topology.kubernetes.io/zone=zone-a (...)") and the nodes that would fit, or that they are NotReady, cordoned or tainted.
- attach limit ("node(s) exceed max volume count"): each node's CSINode says how many volumes of a driver it can have attached (allocatable.count); the scheduler counts the unique volumes of that driver used by the node's non-terminated pods and its VolumeAttachments. volume-doctor names the nodes at their limit and the driver.
- unbound immediate claims ("pod has unbound immediate PersistentVolumeClaims"): a claim of an Immediate StorageClass is not bound yet; volume-doctor points at the claim and its pvc-pending finding.
- no available volume to bind ("node(s) didn't find available persistent volumes to bind"): static or local volumes; volume-doctor lists the Available PersistentVolumes of the claim's class with their size, access modes and node affinity, and why none fits.
- ReadWriteOncePod conflict ("node has pod using PersistentVolumeClaim with the same name and ReadWriteOncePod access mode"): volume-doctor names the pod that holds the claim.
- not enough free storage ("node(s) did not have enough free storage", from the driver's CSIStorageCapacity objects), a claim bound to a deleted volume, a volume zone conflict, an inline disk conflict, a claim that does not exist or is being deleted, and any other volume phrase of the scheduler: quoted and named.

The scheduler's message counts nodes per reason ("0/5 nodes are available: 2 node(s) had volume node affinity conflict, 3 Insufficient cpu."); the "preemption: ..." part that follows is not a reason. A message with no volume reason (only cpu, memory, taints) is not this check's. Severity: warning, critical after ${formatDuration(VOLUME_WAIT_CRITICAL_MS)}.

How Kubernetes gets there: the scheduler runs its volume plugins (VolumeBinding, VolumeRestrictions, NodeVolumeLimits, VolumeZone) on every node; a node that fails one is skipped, and when no node is left the pod stays Pending. The scheduler retries by itself when nodes, volumes, claims or pods change. Typical causes: a disk created in another zone than the nodes (or a node group scaled to zero in that zone), a local volume whose node is gone, too many volumes on the nodes for the cloud's per-instance limit, a claim that never bound, a second pod for a ReadWriteOncePod claim (a rolling update).

Confirm by hand:
  kubectl describe pod POD -n NS              (Events: FailedScheduling, and the PodScheduled condition)
  kubectl get pv PV -o jsonpath='{.spec.nodeAffinity}'; kubectl get nodes -L topology.kubernetes.io/zone
  kubectl get csinodes -o yaml                (spec.drivers[].allocatable.count); kubectl get volumeattachments -o wide
  kubectl get pv -o wide; kubectl describe pvc CLAIM -n NS

Safe fix: make a node available where the volume is (add or bring back a node in that zone, uncordon it), free attach slots or add nodes, bind the claim, stop the pod that holds a ReadWriteOncePod claim first. The scheduler retries by itself.

Never: delete or rewrite a PersistentVolume's nodeAffinity to force scheduling onto a node that cannot reach the disk; raise a CSINode's allocatable.count by hand; force-delete the pod holding a ReadWriteOncePod claim while its node may still run it; create a PersistentVolume pointing at a disk another volume uses.`,
  run(graph) {
    const findings: FindingDraft[] = [];
    for (const pod of graph.allPods()) {
      if (pod.nodeName || pod.deletionTimestamp || pod.phase !== 'Pending') continue;
      const waitedMs = graph.waitingForMs(pod);
      if (waitedMs < WAITING_POD_GRACE_MS) continue;
      const view = schedulerView(graph, pod);
      if (!view) continue;
      const { total, reasons } = volumeReasons(view.message);
      if (!reasons.length) continue;
      const volumes = graph.podVolumes(pod);
      const seen = new Set<ReasonKind>();
      const parts: { reason: SchedulerReason; part: Part }[] = [];
      for (const reason of reasons) {
        if (seen.has(reason.kind) && reason.kind !== 'other') continue;
        seen.add(reason.kind);
        parts.push({ reason, part: partFor(graph, pod, volumes, reason) });
      }
      parts.sort((a, b) => Number(!!b.part.decisive) - Number(!!a.part.decisive));
      const counted = (r: SchedulerReason) => `${NAMES[r.kind]} (${r.nodes !== undefined ? `${r.nodes}${total !== undefined ? ` of ${total}` : ''} node(s): ` : ''}"${r.text}")`;
      findings.push(finding({
        severity: waitedMs >= VOLUME_WAIT_CRITICAL_MS ? 'critical' : 'warning',
        subject: podRef(pod),
        related: [
          ...volumes.map((v) => pvcRef({ namespace: pod.namespace, name: v.claimName })),
          ...pvRefs(volumes),
          ...parts.flatMap((p) => p.part.related),
        ],
        summary: `Pod ${shortName(pod)} has not been scheduled for ${formatDuration(waitedMs)}: ${parts.map((p) => `${NAMES[p.reason.kind]}: ${p.part.says}`).join('; ')}. The scheduler says: ${view.message}`,
        evidence: [
          `pod ${shortName(pod)}: Pending, not scheduled, for ${formatDuration(waitedMs)} (created ${pod.creationTimestamp ?? 'unknown'})`,
          ...view.lines,
          `volume reasons in the scheduler's message: ${parts.map((p) => counted(p.reason)).join(', ')}`,
          ...parts.flatMap((p) => p.part.evidence),
        ],
        explanation: 'The scheduler checks every node against the pod\'s volumes: whether the node can reach each bound volume (its node affinity), whether it has attach slots left for the volume\'s CSI driver, whether an unbound claim can be bound or provisioned there, and whether a ReadWriteOncePod claim is free. No node passed, so the pod stays Pending; the scheduler retries by itself when nodes, volumes, claims or pods change.',
        remedies: [...new Set(parts.flatMap((p) => p.part.remedies))],
        since: pod.creationTimestamp,
        blocks: [podRef(pod)],
      }));
    }
    return findings;
  },
});
