import type pg from 'pg';

/** One statement's share of PostgreSQL's execution time during a run (pg_stat_statements). */
export interface StatementTime {
  /** The normalised text, whitespace collapsed, cut to a readable length. */
  query: string;
  calls: number;
  /** Execution plus planning time, ms. */
  totalMs: number;
  rows: number;
  /** Shared buffers hit and read. */
  blocks: number;
}

/** Server-wide maintenance counters: what PostgreSQL did besides the clients' statements. */
export interface Maintenance {
  autovacuums: number;
  autoanalyzes: number;
  checkpoints: number;
}

/**
 * Autovacuum and autoanalyze runs (all tables of the database) and checkpoints (the server) so far:
 * the difference over a run says how much of PostgreSQL's CPU was maintenance, not statements.
 */
export async function maintenanceCounts(pool: pg.Pool): Promise<Maintenance> {
  const { rows } = await pool.query<{ autovacuums: string; autoanalyzes: string; checkpoints: string }>(
    `SELECT (SELECT sum(autovacuum_count) FROM pg_stat_all_tables) AS autovacuums,
            (SELECT sum(autoanalyze_count) FROM pg_stat_all_tables) AS autoanalyzes,
            (SELECT checkpoints_timed + checkpoints_req FROM pg_stat_bgwriter) AS checkpoints`,
  );
  const row = rows[0]!;
  return {
    autovacuums: Number(row.autovacuums),
    autoanalyzes: Number(row.autoanalyzes),
    checkpoints: Number(row.checkpoints),
  };
}

/** What maintenance PostgreSQL did since `before` (an earlier `maintenanceCounts`). */
export async function maintenanceSince(pool: pg.Pool, before: Maintenance): Promise<Maintenance> {
  const now = await maintenanceCounts(pool);
  return {
    autovacuums: now.autovacuums - before.autovacuums,
    autoanalyzes: now.autoanalyzes - before.autoanalyzes,
    checkpoints: now.checkpoints - before.checkpoints,
  };
}

/**
 * Where the database's time goes, per statement, between `reset` and `read`: pg_stat_statements,
 * which the local PostgreSQL preloads (scripts/deps/postgres.ts) as most managed ones do. Absent
 * (a server without it, DATABASE_URL pointing elsewhere), both are no-ops and `read` is empty.
 */
export class StatementTimes {
  private readonly pool: pg.Pool;
  private available: boolean | undefined;

  constructor(pool: pg.Pool) {
    this.pool = pool;
  }

  async reset(): Promise<void> {
    if (!(await this.ready())) return;
    await this.pool.query('SELECT pg_stat_statements_reset()');
  }

  /** The statements that took the most time, most first. */
  async read(limit = 8): Promise<StatementTime[]> {
    if (!(await this.ready())) return [];
    const { rows } = await this.pool.query<{
      query: string;
      calls: string;
      total_ms: number;
      rows: string;
      blocks: string;
    }>(
      `SELECT query, calls, total_exec_time + total_plan_time AS total_ms, rows,
              shared_blks_hit + shared_blks_read AS blocks
       FROM pg_stat_statements
       WHERE query NOT LIKE '%pg_stat_statements%'
       ORDER BY total_exec_time + total_plan_time DESC LIMIT $1`,
      [limit],
    );
    return rows.map((r) => ({
      query: shorten(r.query),
      calls: Number(r.calls),
      totalMs: Math.round(r.total_ms),
      rows: Number(r.rows),
      blocks: Number(r.blocks),
    }));
  }

  private async ready(): Promise<boolean> {
    if (this.available === undefined) {
      try {
        await this.pool.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
        await this.pool.query('SELECT 1 FROM pg_stat_statements LIMIT 1');
        this.available = true;
      } catch {
        // Not preloaded by this server: the report leaves the table out.
        this.available = false;
      }
    }
    return this.available;
  }
}

function shorten(query: string, length = 110): string {
  const flat = query.replace(/\s+/g, ' ').trim();
  return flat.length > length ? `${flat.slice(0, length - 1)}…` : flat;
}
