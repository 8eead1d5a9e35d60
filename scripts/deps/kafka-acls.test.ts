import { describe, expect, it } from '@jest/globals';
import { aclEntries, componentGrants, kedaGrants, type Grant } from './kafka-acls.ts';

const rights = (grants: Grant[], component: Grant['component']): string[] =>
  grants
    .filter((grant) => grant.component === component)
    .flatMap((grant) =>
      grant.operations.map((op) => `${op} ${grant.resource} ${grant.name}${grant.prefixed ? '*' : ''}`),
    )
    .sort();

describe("the components' Kafka ACLs", () => {
  const grants = componentGrants('blue');

  it('let purchase-api only produce to purchase topics: no reads, no shared topics, no groups', () => {
    expect(rights(grants, 'purchase-api')).toEqual([
      'DESCRIBE topic boxoffice.purchases.*',
      'WRITE topic boxoffice.purchases.*',
    ]);
  });

  it('let allocators consume purchase topics in their groups, forward to them, and write order events and dead letters', () => {
    expect(rights(grants, 'allocator')).toEqual([
      'DESCRIBE topic blue.boxoffice.dead-letter',
      'DESCRIBE topic blue.boxoffice.order-events',
      'DESCRIBE topic boxoffice.purchases.*',
      'READ group boxoffice-allocator.*',
      'READ topic boxoffice.purchases.*',
      'WRITE topic blue.boxoffice.dead-letter',
      'WRITE topic blue.boxoffice.order-events',
      'WRITE topic boxoffice.purchases.*',
    ]);
  });

  it('let the operator manage purchase topics and create the shared ones, but write nothing', () => {
    const operator = rights(grants, 'operator');
    expect(operator).toEqual([
      'ALTER topic boxoffice.purchases.*',
      'CREATE topic blue.boxoffice.dead-letter',
      'CREATE topic blue.boxoffice.order-events',
      'CREATE topic boxoffice.purchases.*',
      'DELETE topic boxoffice.purchases.*',
      'DESCRIBE group boxoffice-allocator.*',
      'DESCRIBE topic blue.boxoffice.dead-letter',
      'DESCRIBE topic blue.boxoffice.order-events',
      'DESCRIBE topic boxoffice.purchases.*',
    ]);
  });

  it("let KEDA's scaler only describe purchase topics and allocator groups (their lag), nothing more", () => {
    expect(rights(kedaGrants(), 'keda')).toEqual([
      'DESCRIBE group boxoffice-allocator.*',
      'DESCRIBE topic boxoffice.purchases.*',
    ]);
  });

  it('refuse to grant to a grantee without a username (User:undefined would match nobody)', () => {
    expect(() => aclEntries(kedaGrants(), {})).toThrow('no Kafka username for keda');
  });

  it('let analytics only read order events in its own groups', () => {
    expect(rights(grants, 'analytics')).toEqual([
      'DESCRIBE topic blue.boxoffice.order-events',
      'READ group blue.boxoffice-analytics*',
      'READ topic blue.boxoffice.order-events',
    ]);
  });

  it('name the default installation’s shared topics without a prefix', () => {
    expect(componentGrants('').map((grant) => grant.name)).toContain('boxoffice.order-events');
  });

  it('become one ALLOW entry per operation for the named user', () => {
    const entries = aclEntries(componentGrants(''), {
      'purchase-api': 'u-api',
      allocator: 'u-alloc',
      operator: 'u-op',
      analytics: 'u-analytics',
    });
    expect(entries.filter((e) => e.principal === 'User:u-api')).toHaveLength(2);
    expect(entries).toContainEqual({
      resourceType: 2, // TOPIC
      resourceName: 'boxoffice.purchases.',
      resourcePatternType: 4, // PREFIXED
      principal: 'User:u-api',
      host: '*',
      operation: 4, // WRITE
      permissionType: 3, // ALLOW
    });
  });
});
