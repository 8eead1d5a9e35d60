/**
 * (b) The naive baseline: Express + pg with the same JWT verification and zod validation as
 * purchase-api, and one PostgreSQL row per ticket type locked and updated per request
 * (`UPDATE … SET sold = sold + n WHERE … AND sold + n <= capacity` plus the order insert, in one
 * transaction). Correct, but every buyer of a ticket type queues on the same row.
 */
import { randomUUID } from 'node:crypto';
import { buyerOf, createJwtVerifier, requireBuyer } from '@boxoffice/platform/auth/jwt';
import { createPool } from '@boxoffice/platform/postgres';
import express from 'express';
import { z } from 'zod';

const pool = createPool(process.env.DATABASE_URL!, 20);
await pool.query(`CREATE TABLE IF NOT EXISTS naive_stock (event text, ticket_type text, capacity int, sold int, PRIMARY KEY (event, ticket_type), CHECK (sold <= capacity));
  CREATE TABLE IF NOT EXISTS naive_orders (id uuid PRIMARY KEY, event text, buyer_id text, ticket_type text, quantity int, idempotency_key text, UNIQUE (event, buyer_id, idempotency_key))`);
await pool.query(`INSERT INTO naive_stock VALUES ($1, 'standard', $2, 0) ON CONFLICT DO NOTHING`, [
  process.env.EVENT,
  Number(process.env.CAPACITY),
]);

const verifier = createJwtVerifier({
  algorithm: 'HS256',
  secret: process.env.JWT_SECRET!,
  issuer: 'boxoffice-local',
  audience: 'boxoffice',
});
const body = z.strictObject({ ticketType: z.string().min(1).max(32), quantity: z.int().min(1).max(100) });
const app = express();
app.use(express.json({ limit: '16kb' }));
app.get('/readyz', (_req, res) => void res.send('ok'));
app.post('/v1/events/:namespace/:name/orders', requireBuyer(verifier), async (req, res, next) => {
  try {
    const parsed = body.safeParse(req.body);
    const key = req.get('idempotency-key');
    if (!parsed.success || !key)
      return void res
        .status(400)
        .type('application/problem+json')
        .json({ status: 400, title: 'Invalid request' });
    const event = `${req.params.namespace}/${req.params.name}`;
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      const updated = await client.query(
        'UPDATE naive_stock SET sold = sold + $3 WHERE event = $1 AND ticket_type = $2 AND sold + $3 <= capacity',
        [event, parsed.data.ticketType, parsed.data.quantity],
      );
      if (updated.rowCount === 0) {
        await client.query('ROLLBACK');
        return void res.status(409).type('application/problem+json').json({ status: 409, title: 'Sold out' });
      }
      const id = randomUUID();
      await client.query('INSERT INTO naive_orders VALUES ($1, $2, $3, $4, $5, $6)', [
        id,
        event,
        buyerOf(res).buyerId,
        parsed.data.ticketType,
        parsed.data.quantity,
        key,
      ]);
      await client.query('COMMIT');
      res.status(201).json({ id, status: 'HELD' });
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  } catch (error) {
    next(error);
  }
});
const server = app.listen(Number(process.env.PORT), '127.0.0.1');
process.on('SIGTERM', () => server.close(() => void pool.end().then(() => process.exit(0))));
