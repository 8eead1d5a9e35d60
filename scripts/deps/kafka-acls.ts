import kafkajs, { type Admin, type AclEntry } from 'kafkajs';
import type { KafkaComponent } from './kafka-users.ts';

const { AclOperationTypes: Op, AclPermissionTypes, AclResourceTypes, ResourcePatternTypes } = kafkajs;

/** Every event's purchase topic starts with this (store/naming.ts `eventTopic`). */
export const PURCHASE_TOPIC_PREFIX = 'boxoffice.purchases.';
/** Every event's allocator consumer group starts with this (store/naming.ts `allocatorGroupId`). */
export const ALLOCATOR_GROUP_PREFIX = 'boxoffice-allocator.';
/** The analytics consumer's group, after BOXOFFICE_PREFIX (analytics/config.ts `analyticsGroupId`). */
export const ANALYTICS_GROUP = 'boxoffice-analytics';

/** Who is granted: a boxoffice component, or KEDA's Kafka scaler (a principal of the installation). */
export type Grantee = KafkaComponent | 'keda';

/** One grant: `operations` on the topic or group `name` (a prefix when `prefixed`). */
export interface Grant {
  component: Grantee;
  resource: 'topic' | 'group';
  name: string;
  prefixed: boolean;
  operations: ('READ' | 'WRITE' | 'CREATE' | 'DELETE' | 'ALTER' | 'DESCRIBE')[];
}

/**
 * What each component may do on the brokers of an installation whose shared topics carry `prefix`
 * (BOXOFFICE_PREFIX; platform/kafka.ts `sharedTopics`), and nothing else: without an ACL the
 * StandardAuthorizer refuses. Purchase topics and allocator groups do not carry the prefix.
 *
 * - purchase-api produces purchase commands and payment results to purchase topics; it reads none.
 * - allocators consume their event's purchase topic in their group, forward commands to other
 *   shards of it, and produce order events and dead letters.
 * - the operator creates, grows, inspects and deletes purchase topics, creates the shared topics,
 *   and reads the allocator groups' committed offsets (whether a topic is drained).
 * - analytics consumes order events in its own groups (`boxoffice-analytics*`: a rebuild starts a
 *   new one); it writes to no topic.
 */
export function componentGrants(prefix: string): Grant[] {
  const p = prefix ? `${prefix}.` : '';
  const shared = [`${p}boxoffice.order-events`, `${p}boxoffice.dead-letter`];
  const purchases = { resource: 'topic', name: PURCHASE_TOPIC_PREFIX, prefixed: true } as const;
  const groups = { resource: 'group', name: ALLOCATOR_GROUP_PREFIX, prefixed: true } as const;
  return [
    { component: 'purchase-api', ...purchases, operations: ['WRITE', 'DESCRIBE'] },
    { component: 'allocator', ...purchases, operations: ['READ', 'WRITE', 'DESCRIBE'] },
    { component: 'allocator', ...groups, operations: ['READ'] },
    ...shared.map((name): Grant => ({
      component: 'allocator',
      resource: 'topic',
      name,
      prefixed: false,
      operations: ['WRITE', 'DESCRIBE'],
    })),
    {
      component: 'analytics',
      resource: 'topic',
      name: shared[0]!,
      prefixed: false,
      operations: ['READ', 'DESCRIBE'],
    },
    {
      component: 'analytics',
      resource: 'group',
      name: `${p}${ANALYTICS_GROUP}`,
      prefixed: true,
      operations: ['READ'],
    },
    { component: 'operator', ...purchases, operations: ['CREATE', 'ALTER', 'DELETE', 'DESCRIBE'] },
    { component: 'operator', ...groups, operations: ['DESCRIBE'] },
    ...shared.map((name): Grant => ({
      component: 'operator',
      resource: 'topic',
      name,
      prefixed: false,
      operations: ['CREATE', 'DESCRIBE'],
    })),
  ];
}

/**
 * What KEDA's Kafka scaler may do: read each allocator group's lag, that is the purchase topics'
 * metadata and end offsets and the groups' committed offsets. It consumes, produces and creates
 * nothing.
 */
export function kedaGrants(): Grant[] {
  return [
    {
      component: 'keda',
      resource: 'topic',
      name: PURCHASE_TOPIC_PREFIX,
      prefixed: true,
      operations: ['DESCRIBE'],
    },
    {
      component: 'keda',
      resource: 'group',
      name: ALLOCATOR_GROUP_PREFIX,
      prefixed: true,
      operations: ['DESCRIBE'],
    },
  ];
}

/** The grants as kafkajs ACL entries for the given usernames (one for every grantee of `grants`). */
export function aclEntries(grants: Grant[], usernames: Partial<Record<Grantee, string>>): AclEntry[] {
  return grants.flatMap((grant) =>
    grant.operations.map((operation) => ({
      resourceType: grant.resource === 'topic' ? AclResourceTypes.TOPIC : AclResourceTypes.GROUP,
      resourceName: grant.name,
      resourcePatternType: grant.prefixed ? ResourcePatternTypes.PREFIXED : ResourcePatternTypes.LITERAL,
      principal: `User:${usernameOf(usernames, grant.component)}`,
      host: '*',
      operation: Op[operation],
      permissionType: AclPermissionTypes.ALLOW,
    })),
  );
}

/** Grants the components their rights for `prefix` (idempotent: an existing ACL is left as it is). */
export async function grantComponentAcls(
  admin: Admin,
  prefix: string,
  usernames: Record<KafkaComponent, string>,
): Promise<void> {
  await admin.createAcls({ acl: aclEntries(componentGrants(prefix), usernames) });
}

/** Grants KEDA's scaler principal its rights (idempotent). */
export async function grantKedaAcls(admin: Admin, username: string): Promise<void> {
  await admin.createAcls({ acl: aclEntries(kedaGrants(), { keda: username }) });
}

function usernameOf(usernames: Partial<Record<Grantee, string>>, grantee: Grantee): string {
  const username = usernames[grantee];
  // `User:undefined` would be a valid principal that matches nobody: a silent lack of rights.
  if (!username) throw new Error(`no Kafka username for ${grantee}`);
  return username;
}
