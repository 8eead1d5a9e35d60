import { setTimeout as sleep } from 'node:timers/promises';

export interface ProbeAnswer {
  sentAt: number;
  answeredAt: number;
  /** HTTP status, or 0 when no answer came (connection refused, timeout). */
  status: number;
  orderId?: string;
}

/**
 * One buyer at a time sending a one-ticket order every `intervalMs` beside the load: the suite's
 * measure of when the platform serves again. Its accepted orders are audited like k6's.
 */
export class Probe {
  readonly answers: ProbeAnswer[] = [];
  private running = true;
  private readonly loop: Promise<void>;

  constructor(url: string, tokens: string[], intervalMs = 250) {
    this.loop = (async () => {
      for (let i = 0; this.running; i++) {
        const sentAt = Date.now();
        const answer = await fetch(url, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            authorization: `Bearer ${tokens[i % tokens.length]}`,
            'idempotency-key': crypto.randomUUID(),
          },
          body: JSON.stringify({ ticketType: 'standard', quantity: 1 }),
          signal: AbortSignal.timeout(30_000),
        })
          .then(async (r) => ({
            status: r.status,
            body: (await r.json().catch(() => ({}))) as { id?: string },
          }))
          .catch(() => ({ status: 0, body: {} as { id?: string } }));
        this.answers.push({ sentAt, answeredAt: Date.now(), status: answer.status, orderId: answer.body.id });
        await sleep(Math.max(0, intervalMs - (Date.now() - sentAt)));
      }
    })();
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
  }
}

/**
 * Seconds from the injection until the platform served again: to the answer of the first probe that
 * got a hold at once (201) after the first probe, sent after the injection, that did not (an error,
 * no answer, or a 202 because the allocator did not answer in time). 0 when no probe went without
 * a hold before the sell-out (a 409 says nothing about the path, so the probes stop counting there);
 * undefined when none got one again before it. A partial outage (one shard of several) shows less
 * here than in the longest shard stall, which the audit reads from PostgreSQL.
 */
export function secondsUntilServed(answers: ProbeAnswer[], injectedAt: number): number | undefined {
  const after = answers.filter((a) => a.sentAt >= injectedAt);
  const soldOut = after.findIndex((a) => a.status === 409);
  const relevant = soldOut === -1 ? after : after.slice(0, soldOut);
  const firstBad = relevant.findIndex((a) => a.status !== 201);
  if (firstBad === -1) return 0;
  const recovered = relevant.slice(firstBad).find((a) => a.status === 201);
  return recovered ? (recovered.answeredAt - injectedAt) / 1000 : undefined;
}
