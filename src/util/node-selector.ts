// Node selector terms as the scheduler evaluates them (k8s.io/component-helpers scheduling/corev1/nodeaffinity and
// apimachinery's label requirements): terms are ORed, the requirements of a term ANDed, an empty term matches
// nothing, and a term with a malformed requirement never matches.
import type { NodeSelectorRequirement, NodeSelectorTerm } from '../model/snapshot.js';

export interface SelectableNode {
  /** Absent: matchFields are not evaluated, as when the volume binder checks a PV against a node's labels alone. */
  name?: string;
  labels: Record<string, string>;
}

const INTEGER = /^[+-]?\d+$/;
const label = (labels: Record<string, string>, key: string): string | undefined => (Object.hasOwn(labels, key) ? labels[key] : undefined);

/** Why a label requirement cannot be evaluated (the API's own rules), or undefined when it can. */
export function requirementError(r: NodeSelectorRequirement): string | undefined {
  switch (r.operator) {
    case 'In':
    case 'NotIn':
      return r.values.length ? undefined : `${r.operator} needs at least one value`;
    case 'Exists':
    case 'DoesNotExist':
      return r.values.length ? `${r.operator} takes no values` : undefined;
    case 'Gt':
    case 'Lt':
      return r.values.length === 1 && INTEGER.test(r.values[0]) ? undefined : `${r.operator} needs exactly one integer value`;
    default:
      return `unsupported operator "${r.operator}"`;
  }
}

/** Why a field requirement cannot be evaluated: only In and NotIn with exactly one value. */
function fieldRequirementError(r: NodeSelectorRequirement): string | undefined {
  if (r.operator !== 'In' && r.operator !== 'NotIn') return `unsupported field operator "${r.operator}"`;
  return r.values.length === 1 ? undefined : `field ${r.operator} needs exactly one value`;
}

/** Whether a node's labels satisfy one well-formed requirement. */
export function requirementMatches(r: NodeSelectorRequirement, labels: Record<string, string>): boolean {
  const value = label(labels, r.key);
  switch (r.operator) {
    case 'In': return value !== undefined && r.values.includes(value);
    case 'NotIn': return value === undefined || !r.values.includes(value);
    case 'Exists': return value !== undefined;
    case 'DoesNotExist': return value === undefined;
    case 'Gt':
    case 'Lt': {
      if (value === undefined || !INTEGER.test(value)) return false;
      const have = BigInt(value);
      const want = BigInt(r.values[0]);
      return r.operator === 'Gt' ? have > want : have < want;
    }
    default: return false;
  }
}

function fieldMatches(r: NodeSelectorRequirement, name: string): boolean {
  const value = r.key === 'metadata.name' ? name : '';
  return r.operator === 'In' ? value === r.values[0] : value !== r.values[0];
}

const isEmptyTerm = (t: NodeSelectorTerm) => t.matchExpressions.length === 0 && t.matchFields.length === 0;

/** The reasons a term can never match, whatever the node. */
function termErrors(t: NodeSelectorTerm): string[] {
  return [
    ...t.matchExpressions.map((r) => requirementError(r)),
    ...t.matchFields.map((r) => fieldRequirementError(r)),
  ].filter((e): e is string => e !== undefined);
}

/** The requirements of a term this node does not meet (empty: the term matches). An empty or malformed term fails as a whole. */
export function unmetRequirements(t: NodeSelectorTerm, node: SelectableNode): NodeSelectorRequirement[] | 'empty' | 'malformed' {
  if (isEmptyTerm(t)) return 'empty';
  if (termErrors(t).length) return 'malformed';
  const unmet = t.matchExpressions.filter((r) => !requirementMatches(r, node.labels));
  if (node.name !== undefined && node.name !== '') unmet.push(...t.matchFields.filter((r) => !fieldMatches(r, node.name!)));
  return unmet;
}

export function termMatches(t: NodeSelectorTerm, node: SelectableNode): boolean {
  const unmet = unmetRequirements(t, node);
  return Array.isArray(unmet) && unmet.length === 0;
}

/** Whether any term matches the node; no terms match nothing. */
export function selectorMatches(terms: NodeSelectorTerm[], node: SelectableNode): boolean {
  return terms.some((t) => termMatches(t, node));
}

/** One requirement in kubectl's selector words: "zone=zone-b", "zone in (a, b)", "!gpu", "rack>3". */
function describeRequirement(r: NodeSelectorRequirement): string {
  switch (r.operator) {
    case 'In': return r.values.length === 1 ? `${r.key}=${r.values[0]}` : `${r.key} in (${r.values.join(', ')})`;
    case 'NotIn': return r.values.length === 1 ? `${r.key}!=${r.values[0]}` : `${r.key} notin (${r.values.join(', ')})`;
    case 'Exists': return `${r.key} (any value)`;
    case 'DoesNotExist': return `no ${r.key} label`;
    case 'Gt': return `${r.key}>${r.values.join(',')}`;
    case 'Lt': return `${r.key}<${r.values.join(',')}`;
    default: return `${r.key} ${r.operator} (${r.values.join(', ')})`;
  }
}

/** A whole selector in words: terms joined by "or", requirements by "and". */
export function describeTerms(terms: NodeSelectorTerm[]): string {
  const parts = terms.filter((t) => !isEmptyTerm(t)).map((t) => [
    ...t.matchExpressions.map(describeRequirement),
    ...t.matchFields.map((r) => describeRequirement({ ...r, key: r.key === 'metadata.name' ? 'node name' : r.key })),
  ].join(' and '));
  return parts.length ? parts.join(' or ') : 'no node (no selector terms)';
}
