import { describe, expect, it } from '@jest/globals';
import express from 'express';
import request from 'supertest';
import { jsonBody } from '../http/body.ts';
import { problemHandler } from '../http/problem.ts';
import {
  requireWebhookSignature,
  SIGNATURE_HEADER,
  signWebhook,
  verifyWebhookSignature,
} from './webhook-signature.ts';

const secret = 'whsec-test-0123456789abcdef';
const body = '{"id":"evt_1","type":"payment.succeeded","orderId":"0190a0b0-0000-7000-8000-000000000001"}';
const now = 1_750_000_000;

describe('webhook signatures', () => {
  it('verifies what it signed', () => {
    const header = signWebhook(secret, body, now);
    expect(header).toMatch(/^t=1750000000,v1=[0-9a-f]{64}$/);
    expect(verifyWebhookSignature(secret, header, body, { now })).toEqual({ ok: true, timestamp: now });
    expect(verifyWebhookSignature(secret, header, Buffer.from(body), { now: now + 299 })).toEqual({
      ok: true,
      timestamp: now,
    });
  });

  it('rejects a body changed by one byte, and another secret', () => {
    const header = signWebhook(secret, body, now);
    expect(verifyWebhookSignature(secret, header, body.replace('evt_1', 'evt_2'), { now })).toEqual({
      ok: false,
      reason: 'mismatch',
    });
    expect(verifyWebhookSignature('another-secret-0123456789', header, body, { now }).ok).toBe(false);
  });

  it('rejects a timestamp outside the tolerance window, past or future', () => {
    expect(verifyWebhookSignature(secret, signWebhook(secret, body, now - 301), body, { now })).toEqual({
      ok: false,
      reason: 'outside-tolerance',
    });
    expect(verifyWebhookSignature(secret, signWebhook(secret, body, now + 301), body, { now }).ok).toBe(
      false,
    );
    expect(
      verifyWebhookSignature(secret, signWebhook(secret, body, now - 50), body, { now, toleranceSeconds: 30 })
        .ok,
    ).toBe(false);
  });

  it('rejects a replayed signature moved to a fresh timestamp', () => {
    const v1 = signWebhook(secret, body, now - 1000).split(',')[1];
    expect(verifyWebhookSignature(secret, `t=${now},${v1}`, body, { now })).toEqual({
      ok: false,
      reason: 'mismatch',
    });
  });

  it('rejects missing and malformed headers', () => {
    for (const header of [undefined, '', '  ']) {
      expect(verifyWebhookSignature(secret, header, body, { now })).toEqual({ ok: false, reason: 'missing' });
    }
    for (const header of [
      'garbage',
      `t=${now}`,
      'v1=abcd',
      `t=abc,v1=${'0'.repeat(64)}`,
      `t=${now},v1=xyz`,
    ]) {
      expect(verifyWebhookSignature(secret, header, body, { now })).toEqual({
        ok: false,
        reason: 'malformed',
      });
    }
  });

  it('accepts either secret during a rotation, and any of several v1 signatures', () => {
    const previous = 'previous-secret-0123456789';
    expect(
      verifyWebhookSignature([secret, previous], signWebhook(previous, body, now), body, { now }).ok,
    ).toBe(true);
    const both = `${signWebhook('unknown-secret-0123456789', body, now)},v1=${signWebhook(secret, body, now).split('v1=')[1]}`;
    expect(verifyWebhookSignature(secret, both, body, { now }).ok).toBe(true);
  });

  describe('middleware', () => {
    function app() {
      const app = express();
      app.use(jsonBody());
      app.post('/v1/payments/webhook', requireWebhookSignature({ secrets: secret }), (req, res) => {
        res.json({ received: req.body.id });
      });
      app.use(problemHandler());
      return app;
    }

    it('passes a request signed over its exact bytes to the handler', async () => {
      // Whitespace and key order matter: the signature covers the raw body, not re-serialised JSON.
      const raw = '{ "id" : "evt_9",\n  "type": "payment.succeeded" }';
      const response = await request(app())
        .post('/v1/payments/webhook')
        .set('Content-Type', 'application/json')
        .set(SIGNATURE_HEADER, signWebhook(secret, raw))
        .send(raw);
      expect(response.status).toBe(200);
      expect(response.body).toEqual({ received: 'evt_9' });
    });

    it('answers 401 invalid-signature before the handler runs', async () => {
      const response = await request(app())
        .post('/v1/payments/webhook')
        .set('Content-Type', 'application/json')
        .set(SIGNATURE_HEADER, signWebhook(secret, body))
        .send(body.replace('succeeded', 'failed'));
      expect(response.status).toBe(401);
      expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(response.body).toMatchObject({
        code: 'invalid-signature',
        detail: 'The signature does not match the body',
      });
      const unsigned = await request(app()).post('/v1/payments/webhook').send({ id: 'evt_1' });
      expect(unsigned.status).toBe(401);
      expect(unsigned.body.detail).toMatch(/missing/);
    });

    it('refuses to start with a short secret', () => {
      expect(() => requireWebhookSignature({ secrets: 'short' })).toThrow(/16/);
    });
  });
});
