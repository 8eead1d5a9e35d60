import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import type { PlatformProcess } from '../platform-processes.ts';
import type { Fault, FaultContext } from './sale.ts';

/** The allocators' session timeout (services/allocator/src/allocator.ts): a frozen member is evicted after it. */
const SESSION_TIMEOUT_SECONDS = 30;

/** Commands the live allocators found already applied (redelivered), from their /metrics. */
async function duplicatesSeen(ctx: FaultContext): Promise<number> {
  let total = 0;
  for (const allocator of ctx.allocators.filter(
    (a) => a.child.exitCode === null && a.child.signalCode === null,
  )) {
    const text = await fetch(`${allocator.url}/metrics`)
      .then((r) => r.text())
      .catch(() => '');
    for (const match of text.matchAll(/^boxoffice_orders_total\{[^}]*outcome="duplicate"[^}]*\} (\d+)/gm))
      total += Number(match[1]);
  }
  return total;
}

/** The PostgreSQL session of allocator `name` that is inside a transaction right now, if any. */
async function openTransaction(
  ctx: FaultContext,
  name?: string,
): Promise<{ pid: number; xact_start: Date } | undefined> {
  const { rows } = await ctx.pool.query<{ pid: number; xact_start: Date }>(
    `SELECT pid, xact_start FROM pg_stat_activity
     WHERE datname = current_database() AND xact_start IS NOT NULL AND pid <> pg_backend_pid()
       AND ($1::text IS NULL AND application_name LIKE 'allocator-%' OR application_name = $1)`,
    [name ?? null],
  );
  return rows[0];
}

/**
 * SIGSTOP `allocator` while it is inside its batch transaction (its shard rows locked), so the
 * freeze is the worst one a zombie can have; true when that was achieved. Tries until a stop lands
 * inside a transaction; a stop that missed is undone at once (far shorter than the session timeout).
 */
async function freezeInTransaction(ctx: FaultContext, allocator: PlatformProcess): Promise<boolean> {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    const open = await openTransaction(ctx, allocator.name);
    if (open) {
      allocator.child.kill('SIGSTOP');
      const still = await openTransaction(ctx, allocator.name);
      if (still && still.pid === open.pid && still.xact_start.getTime() === open.xact_start.getTime())
        return true;
      allocator.child.kill('SIGCONT');
    }
    await sleep(2);
  }
  allocator.child.kill('SIGSTOP');
  return false;
}

export const allocatorKillBetweenCommits: Fault = {
  id: 'allocator-kill-between-commits',
  title: 'allocator `kill -9` between the PostgreSQL commit and the Kafka offset commit',
  injection:
    'a third allocator joins mid-sale with the test-only fault point `BOXOFFICE_FAULT_POINT=before-offset-commit@10`: on its 10th batch, after the transaction committed and the batch was produced, it sends itself SIGKILL; a replacement allocator starts at once',
  async inject(ctx) {
    // Not waited for: it may reach its fault point before its readiness is seen.
    const victim = await ctx.startAllocator(
      'allocator-victim',
      { BOXOFFICE_FAULT_POINT: 'before-offset-commit@10' },
      false,
    );
    await Promise.race([once(victim.child, 'exit'), sleep(120_000)]);
    ctx.injected();
    ctx.note(`the victim ended by ${victim.child.signalCode ?? `exit ${victim.child.exitCode}`}`);
    await ctx.startAllocator('allocator-replacement');
  },
  async verify(ctx) {
    const duplicates = await duplicatesSeen(ctx);
    ctx.note(`commands found already applied after the redelivery: ${duplicates}`);
    return duplicates > 0 ? [] : ['no redelivered command was seen: the batch was not redelivered'];
  },
};

export const kafkaBrokerKill: Fault = {
  id: 'kafka-broker-kill',
  title: 'Kafka broker `kill -9`, restarted 5 s later',
  injection:
    'the only broker (KRaft, single node) killed with SIGKILL mid-sale; started again on its ports and log directory after 5 s',
  async inject(ctx) {
    const kafka = ctx.servers.kafka!;
    await kafka.crash();
    ctx.injected();
    await sleep(5_000);
    const restarting = Date.now();
    await kafka.restart();
    ctx.note(
      `broker answering again ${((Date.now() - restarting) / 1000).toFixed(1)} s after its restart began`,
    );
  },
};

export const zombieAllocator: Fault = {
  id: 'zombie-allocator',
  title: `zombie allocator: SIGSTOP inside its transaction for ${SESSION_TIMEOUT_SECONDS + 15} s, then SIGCONT`,
  injection: `allocator-0 frozen (SIGSTOP) while inside its batch transaction, its shard rows locked; after ${SESSION_TIMEOUT_SECONDS + 15} s (session timeout ${SESSION_TIMEOUT_SECONDS} s) it gets SIGCONT and carries on with its stale batch`,
  load: { seconds: 80, capacity: 6_000, buyers: 3_000 },
  async inject(ctx) {
    const zombie = ctx.allocators[0]!;
    const inTransaction = await freezeInTransaction(ctx, zombie);
    ctx.injected();
    ctx.note(
      inTransaction ? 'frozen inside its batch transaction' : 'frozen (not caught inside a transaction)',
    );
    await sleep((SESSION_TIMEOUT_SECONDS + 15) * 1000);
    zombie.child.kill('SIGCONT');
    await sleep(5_000);
    ctx.note(
      `zombie still running after SIGCONT: ${zombie.child.exitCode === null && zombie.child.signalCode === null}`,
    );
  },
};

export const postgresImmediateStop: Fault = {
  id: 'postgres-immediate-stop',
  title: 'PostgreSQL `pg_ctl stop -m immediate` mid-batch, restarted 3 s later',
  injection:
    'PostgreSQL stopped with `pg_ctl -m immediate` while an allocator was inside a batch transaction; started again (WAL replay) after 3 s',
  async inject(ctx) {
    const deadline = Date.now() + 10_000;
    while (!(await openTransaction(ctx)) && Date.now() < deadline) await sleep(2);
    await ctx.servers.postgres!.crash();
    ctx.injected();
    await sleep(3_000);
    await ctx.servers.postgres!.restart();
  },
};

export const redisKill: Fault = {
  id: 'redis-kill',
  title: 'Redis `kill -9`, restarted 5 s later (empty)',
  injection:
    'redis-server killed with SIGKILL mid-sale (no persistence: it comes back empty); started again on its port after 5 s',
  async inject(ctx) {
    await ctx.servers.redis!.crash();
    ctx.injected();
    await sleep(5_000);
    await ctx.servers.redis!.restart();
  },
};

export const slowPostgres: Fault = {
  id: 'slow-postgres',
  title: 'slow PostgreSQL: shard 0 locked for 8 s',
  injection: "another session holds `SELECT … FOR UPDATE` on shard 0's inventory rows for 8 s mid-sale",
  async inject(ctx) {
    const client = await ctx.pool.connect();
    try {
      await client.query('BEGIN');
      await client.query('SELECT * FROM inventory_shards WHERE event_id = $1 AND shard = 0 FOR UPDATE', [
        ctx.eventId,
      ]);
      ctx.injected();
      await sleep(8_000);
      await client.query('COMMIT');
    } finally {
      client.release();
    }
  },
};

/** The purchase path's faults, in the order `npm run faults` runs them. */
export const purchasePathFaults: Fault[] = [
  allocatorKillBetweenCommits,
  zombieAllocator,
  kafkaBrokerKill,
  postgresImmediateStop,
  redisKill,
  slowPostgres,
];
