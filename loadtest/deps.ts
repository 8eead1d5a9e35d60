import type { Settings } from '../scripts/deps/env-file.ts';
import { Jaeger } from '../scripts/deps/jaeger.ts';
import { Kafka } from '../scripts/deps/kafka.ts';
import type { Part } from '../scripts/deps/part.ts';
import { Postgres } from '../scripts/deps/postgres.ts';
import { Redis } from '../scripts/deps/redis.ts';
import { Tools } from '../scripts/deps/tools.ts';

export interface LoadDeps {
  settings: Settings;
  versions: string[];
  /** Stops the parts this call started (none when BOXOFFICE_KEEP_DEPS=1). */
  stop(): Promise<void>;
}

/**
 * Only what the purchase path needs: PostgreSQL, Redis, Kafka and k6 (the Kubernetes control
 * plane is not on it), and with `traces` a trace store (Jaeger) for services that export traces.
 * Reuses parts that already run or that env vars point at, and remembers which ones it started so
 * `stop` leaves everybody else's running.
 */
export async function startLoadDeps(options: { traces?: boolean } = {}): Promise<LoadDeps> {
  const parts: Part[] = [
    new Postgres(),
    new Redis(),
    new Kafka(),
    new Tools(),
    ...(options.traces ? [new Jaeger()] : []),
  ];
  const settings: Settings = {};
  const started: Part[] = [];
  for (const part of parts) {
    const external = part.external();
    if (external) {
      Object.assign(settings, external);
      continue;
    }
    await part.ensure();
    if (!part.running()) started.push(part);
    Object.assign(settings, await part.up());
  }
  const versions = await Promise.all(parts.map((p) => p.version(settings).catch(() => p.name)));
  return {
    settings,
    versions,
    async stop() {
      if (process.env.BOXOFFICE_KEEP_DEPS === '1') return;
      for (const part of started.reverse()) await part.down();
    },
  };
}
