import { describe, expect, it } from 'vitest';
import type { NodeSelectorRequirement, NodeSelectorTerm } from '../../src/model/snapshot.js';
import {
  describeTerms, requirementError, requirementMatches, selectorMatches, termMatches, unmetRequirements,
} from '../../src/util/node-selector.js';

const req = (key: string, operator: string, ...values: string[]): NodeSelectorRequirement => ({ key, operator, values });
const term = (...matchExpressions: NodeSelectorRequirement[]): NodeSelectorTerm => ({ matchExpressions, matchFields: [] });
const ZONE = 'topology.kubernetes.io/zone';
const zoneA = { name: 'worker-1', labels: { [ZONE]: 'zone-a', 'kubernetes.io/hostname': 'worker-1', rack: '7' } };

describe('node selector requirements (apimachinery label semantics)', () => {
  it('In and NotIn: an absent label is not In anything and is NotIn everything', () => {
    expect(requirementMatches(req(ZONE, 'In', 'zone-a', 'zone-b'), zoneA.labels)).toBe(true);
    expect(requirementMatches(req(ZONE, 'In', 'zone-b'), zoneA.labels)).toBe(false);
    expect(requirementMatches(req('gpu', 'In', 'true'), zoneA.labels)).toBe(false);
    expect(requirementMatches(req(ZONE, 'NotIn', 'zone-a'), zoneA.labels)).toBe(false);
    expect(requirementMatches(req(ZONE, 'NotIn', 'zone-b'), zoneA.labels)).toBe(true);
    expect(requirementMatches(req('gpu', 'NotIn', 'true'), zoneA.labels)).toBe(true);
  });

  it('Exists and DoesNotExist look at the node\'s own labels only (not inherited names such as constructor)', () => {
    expect(requirementMatches(req(ZONE, 'Exists'), zoneA.labels)).toBe(true);
    expect(requirementMatches(req('constructor', 'Exists'), zoneA.labels)).toBe(false);
    expect(requirementMatches(req('__proto__', 'DoesNotExist'), zoneA.labels)).toBe(true);
    const proto = JSON.parse('{"__proto__": "x"}');
    expect(requirementMatches(req('__proto__', 'In', 'x'), proto)).toBe(true);
  });

  it('Gt and Lt compare integers; a label that is not an integer never matches', () => {
    expect(requirementMatches(req('rack', 'Gt', '6'), zoneA.labels)).toBe(true);
    expect(requirementMatches(req('rack', 'Gt', '7'), zoneA.labels)).toBe(false);
    expect(requirementMatches(req('rack', 'Lt', '10'), zoneA.labels)).toBe(true);
    expect(requirementMatches(req(ZONE, 'Lt', '10'), zoneA.labels)).toBe(false);
    expect(requirementMatches(req('missing', 'Gt', '0'), zoneA.labels)).toBe(false);
  });

  it('says why a requirement is malformed, as the API does', () => {
    expect(requirementError(req(ZONE, 'In'))).toMatch(/at least one value/);
    expect(requirementError(req(ZONE, 'Exists', 'x'))).toMatch(/no values/);
    expect(requirementError(req('rack', 'Gt', 'seven'))).toMatch(/one integer/);
    expect(requirementError(req('rack', 'Gt', '1', '2'))).toMatch(/one integer/);
    expect(requirementError(req(ZONE, 'Equals', 'a'))).toMatch(/unsupported operator/);
    expect(requirementError(req(ZONE, 'In', 'a'))).toBeUndefined();
  });
});

describe('node selector terms (component-helpers nodeaffinity semantics)', () => {
  it('ANDs the requirements of a term and ORs the terms', () => {
    const both = term(req(ZONE, 'In', 'zone-a'), req('rack', 'In', '8'));
    expect(termMatches(both, zoneA)).toBe(false);
    expect(unmetRequirements(both, zoneA)).toEqual([req('rack', 'In', '8')]);
    expect(selectorMatches([both, term(req(ZONE, 'In', 'zone-a'))], zoneA)).toBe(true);
    expect(selectorMatches([both, term(req(ZONE, 'In', 'zone-c'))], zoneA)).toBe(false);
  });

  it('an empty term and an empty list match nothing', () => {
    expect(selectorMatches([], zoneA)).toBe(false);
    expect(selectorMatches([term()], zoneA)).toBe(false);
    expect(unmetRequirements(term(), zoneA)).toBe('empty');
  });

  it('a malformed term never matches, and does not stop another term from matching', () => {
    const bad = term(req(ZONE, 'In'), req('rack', 'Exists'));
    expect(termMatches(bad, zoneA)).toBe(false);
    expect(unmetRequirements(bad, zoneA)).toBe('malformed');
    expect(selectorMatches([bad, term(req('rack', 'Exists'))], zoneA)).toBe(true);
  });

  it('matchFields select metadata.name with In/NotIn of one value, and are not evaluated without a name', () => {
    const byName = (operator: string, value: string): NodeSelectorTerm => ({ matchExpressions: [], matchFields: [req('metadata.name', operator, value)] });
    expect(termMatches(byName('In', 'worker-1'), zoneA)).toBe(true);
    expect(termMatches(byName('In', 'worker-2'), zoneA)).toBe(false);
    expect(termMatches(byName('NotIn', 'worker-2'), zoneA)).toBe(true);
    // The volume binder builds a node from its labels alone, so a PV's matchFields do not restrict it.
    expect(termMatches(byName('In', 'worker-2'), { labels: zoneA.labels })).toBe(true);
    // Two values are refused by the API for fields: the term is malformed.
    expect(termMatches({ matchExpressions: [], matchFields: [req('metadata.name', 'In', 'worker-1', 'worker-2')] }, zoneA)).toBe(false);
  });

  it('describes a selector in kubectl\'s words', () => {
    expect(describeTerms([term(req(ZONE, 'In', 'zone-b'))])).toBe(`${ZONE}=zone-b`);
    expect(describeTerms([term(req(ZONE, 'In', 'zone-b', 'zone-c'), req('gpu', 'DoesNotExist')), term(req('rack', 'Gt', '3'))]))
      .toBe(`${ZONE} in (zone-b, zone-c) and no gpu label or rack>3`);
    expect(describeTerms([])).toBe('no node (no selector terms)');
  });
});
