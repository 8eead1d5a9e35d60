import { dnsLabel } from '@boxoffice/inventory';
import type { AvailabilityCache } from '@boxoffice/platform/availability-cache';
import { AppError } from '@boxoffice/platform/errors/app-error';
import { defineRoute, type AnyRoute } from '@boxoffice/platform/http/route';
import type { RedisSubscriber } from '@boxoffice/platform/redis-subscriber';
import { eventKeyString, findEvent, type CatalogEvent } from '@boxoffice/store';
import type { Response } from 'express';
import type pg from 'pg';
import { z } from 'zod';
import { QueryErrors } from './errors.ts';
import type { StreamRefusal, StreamSlots } from './stream-slots.ts';

export interface AvailabilityStreamDeps {
  pool: pg.Pool;
  /** The instance's one subscriber connection, shared by all its streams. */
  subscriber: RedisSubscriber;
  availability: AvailabilityCache;
  /** The event's channel of holds offered to waiting buyers (`event: offer`). */
  offersChannel?: (eventKey: string) => string;
  slots: StreamSlots;
  heartbeatMs: number;
  shutdown: AbortSignal;
}

const RETRY_AFTER_SECONDS = '5';
/** A client that stopped reading would make its buffer grow with every change; past this it is cut. */
const MAX_BUFFERED_BYTES = 1024 * 1024;

const refusal = (reason: StreamRefusal): AppError =>
  reason === 'client_full'
    ? new AppError(QueryErrors.TooManyStreams, {
        detail: 'Close one of your availability streams first',
        headers: { 'Retry-After': RETRY_AFTER_SECONDS },
      })
    : new AppError(QueryErrors.StreamsFull, {
        detail: 'Retry shortly (another replica may have room)',
        headers: { 'Retry-After': RETRY_AFTER_SECONDS },
      });

const snapshot = (event: CatalogEvent): string =>
  `event: snapshot\ndata: ${JSON.stringify({ ticketTypes: event.ticketTypes.map((t) => ({ name: t.name, remaining: t.remaining })) })}\n\n`;

/** `GET /v1/events/{namespace}/{name}/availability/stream`: a snapshot, then every change per shard. */
export function availabilityStreamRoute(deps: AvailabilityStreamDeps): AnyRoute {
  return defineRoute({
    operationId: 'streamAvailability',
    method: 'get',
    path: '/v1/events/{namespace}/{name}/availability/stream',
    summary: 'Server-Sent Events: a snapshot, then every change of remaining stock per shard',
    description:
      'Open streams are capped per client address (429 too-many-streams) and per instance (503 streams-full). ' +
      'A hold offered to a waiting buyer comes as `event: offer` with `{orderId, ticketType, quantity, expiresAt}`: the order id is the id of the waiting-list entry, which only its buyer knows (and only its buyer can read the order).',
    tags: ['events'],
    request: { params: z.object({ namespace: dnsLabel, name: dnsLabel }) },
    responses: { 200: { description: 'text/event-stream', contentType: 'text/event-stream' } },
    problems: [QueryErrors.EventNotFound, QueryErrors.TooManyStreams, QueryErrors.StreamsFull],
    handler: async ({ params }, req, res) => {
      const slot = deps.slots.take(req.ip ?? req.socket.remoteAddress ?? 'unknown');
      if ('refused' in slot) throw refusal(slot.refused);
      // However the response ends (a 404, the client leaving, shutdown), the slot is given back.
      whenClosed(res, slot.release);
      const event = await findEvent(deps.pool, params);
      if (!event) throw new AppError(QueryErrors.EventNotFound);
      if (res.destroyed) {
        res.end(); // the client left during the lookup: nothing to follow
        return;
      }
      res.writeHead(200, {
        'content-type': 'text/event-stream',
        'cache-control': 'no-cache',
        connection: 'keep-alive',
      });
      follow(deps, params, res, event);
    },
  }) as AnyRoute;
}

/** Runs `done` once the response is over; at once if the client left already (say, during the rate limit). */
function whenClosed(res: Response, done: () => void): void {
  if (res.destroyed || res.writableFinished) done();
  else res.once('close', done);
}

function follow(
  deps: AvailabilityStreamDeps,
  params: { namespace: string; name: string },
  res: Response,
  event: CatalogEvent,
): void {
  const send = (chunk: string): void => {
    if (res.destroyed) return;
    res.write(chunk);
    if (res.writableLength > MAX_BUFFERED_BYTES) res.destroy();
  };
  send(snapshot(event));
  const subscription = deps.subscriber.listen(deps.availability.channel(eventKeyString(params)), {
    message: (message) => send(`event: shard\ndata: ${message}\n\n`),
    // Changes were missed while Redis was away: a fresh snapshot from PostgreSQL.
    resubscribed: () =>
      void findEvent(deps.pool, params).then(
        (fresh) => fresh && send(snapshot(fresh)),
        () => undefined,
      ),
  });
  const offers = deps.offersChannel
    ? deps.subscriber.listen(deps.offersChannel(eventKeyString(params)), {
        message: (message) => send(`event: offer\ndata: ${message}\n\n`),
      })
    : undefined;
  const heartbeat = setInterval(() => send(': heartbeat\n\n'), deps.heartbeatMs);
  const end = (): void => {
    clearInterval(heartbeat);
    subscription.close();
    offers?.close();
    deps.shutdown.removeEventListener('abort', end);
    res.end();
  };
  // Listening first, so that an `end` run at once also removes the listener again.
  deps.shutdown.addEventListener('abort', end, { once: true });
  if (deps.shutdown.aborted) end();
  whenClosed(res, end);
}
