import { describe, expect, it } from '@jest/globals';
import { ticketEventCrd, type TicketEventSpec } from './schema.ts';

/** Every property below `node`, with its path. */
function* properties(
  node: Record<string, unknown>,
  path: string,
): Generator<[string, Record<string, unknown>]> {
  const props = (node.properties ?? {}) as Record<string, Record<string, unknown>>;
  for (const [name, child] of Object.entries(props)) {
    yield [`${path}.${name}`, child];
    yield* properties(child, `${path}.${name}`);
  }
  const items = node.items as Record<string, unknown> | undefined;
  if (items) yield* properties(items, `${path}[]`);
}

const root = ticketEventCrd.spec.versions[0].schema.openAPIV3Schema as Record<string, unknown>;

describe('the TicketEvent schema', () => {
  it('describes every field, for kubectl explain', () => {
    const undocumented = [...properties(root, '')]
      .filter(([path, node]) => path !== '.metadata' && !node.description)
      .map(([path]) => path);
    expect(undocumented).toEqual([]);
  });

  it("names the field in every CEL rule's message", () => {
    const rules = JSON.stringify(root).match(/"message":"[^"]*"/g) ?? [];
    expect(rules.length).toBeGreaterThanOrEqual(5);
    for (const rule of rules) expect(rule).toMatch(/(spec|metadata)\.[a-zA-Z]+/);
  });

  it('bounds every number and every string a spec carries (the database has limits, admission knows them)', () => {
    const spec = (root.properties as Record<string, Record<string, unknown>>).spec!;
    const unbounded = [...properties(spec, 'spec')]
      .filter(([, node]) =>
        node.type === 'integer'
          ? node.minimum === undefined || node.maximum === undefined
          : node.type === 'string' && node.enum === undefined && node.maxLength === undefined,
      )
      .map(([path]) => path);
    expect(unbounded).toEqual([]);
  });

  it('types defaulted fields as always present, as the API server returns them', () => {
    const spec = {} as TicketEventSpec;
    // Compile-time checks: these lines fail `tsc` if the inferred types drift from the schema.
    const shards: number = spec.shards;
    const policy: 'Retain' | 'Delete' = spec.deletionPolicy;
    // @ts-expect-error venue has no default and is optional, so it may be undefined
    const venue: string = spec.venue;
    expect([shards, policy, venue]).toHaveLength(3);
  });
});
