import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { exportJWK, generateKeyPair, SignJWT, UnsecuredJWT, type CryptoKey } from 'jose';
import request from 'supertest';
import { problemHandler } from '../http/problem.ts';
import { buyerOf, createJwtVerifier, requireBuyer, signLocalToken, type JwtVerifier } from './jwt.ts';

const secret = 'local-development-secret-0123456789abcdef';
const issuer = 'https://auth.boxoffice.local/';
const audience = 'boxoffice-purchase-api';
const hs = createJwtVerifier({ algorithm: 'HS256', secret, issuer, audience });
const key = new TextEncoder().encode(secret);

function app(verifier: JwtVerifier) {
  const app = express();
  app.get('/me', requireBuyer(verifier), (_req, res) => {
    res.json({ buyerId: buyerOf(res).buyerId });
  });
  app.use(problemHandler());
  return app;
}

function token(
  claims: Record<string, unknown> = {},
  header: { alg: string; kid?: string } = { alg: 'HS256' },
) {
  return new SignJWT({ scope: 'orders:write', ...claims })
    .setProtectedHeader(header)
    .setSubject('buyer-1')
    .setIssuer(issuer)
    .setAudience(audience)
    .setExpirationTime('5m');
}

async function expectInvalid(verifier: JwtVerifier, jwt: string, detail: RegExp) {
  const response = await request(app(verifier)).get('/me').set('Authorization', `Bearer ${jwt}`);
  expect(response.status).toBe(401);
  expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(response.headers['www-authenticate']).toMatch(/^Bearer realm="boxoffice", error="invalid_token"/);
  expect(response.body.code).toBe('invalid-token');
  expect(response.body.detail).toMatch(detail);
}

describe('bearer JWT authentication', () => {
  it('accepts a token signed by signLocalToken and exposes the buyer', async () => {
    const jwt = await signLocalToken({
      secret,
      issuer,
      audience,
      buyerId: 'buyer-42',
      scopes: ['orders:write'],
    });
    const identity = await hs.verify(jwt);
    expect(identity).toMatchObject({ buyerId: 'buyer-42', scopes: ['orders:write'] });
    expect(identity.expiresAt.getTime()).toBeGreaterThan(Date.now());
    const response = await request(app(hs)).get('/me').set('Authorization', `Bearer ${jwt}`);
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ buyerId: 'buyer-42' });
  });

  it('asks for credentials without an error code when the request has none', async () => {
    const response = await request(app(hs)).get('/me');
    expect(response.status).toBe(401);
    expect(response.headers['www-authenticate']).toBe('Bearer realm="boxoffice"');
    expect(response.body.code).toBe('unauthenticated');
  });

  it('refuses an unsigned token (alg: none)', async () => {
    const unsecured = new UnsecuredJWT({ sub: 'buyer-1' })
      .setIssuer(issuer)
      .setAudience(audience)
      .setExpirationTime('5m')
      .encode();
    await expectInvalid(hs, unsecured, /malformed|algorithm/);
  });

  it('refuses a token signed with another algorithm, even with the right secret', async () => {
    await expectInvalid(hs, await token({}, { alg: 'HS512' }).sign(key), /algorithm/);
  });

  it('refuses a token whose signature does not match', async () => {
    await expectInvalid(hs, await token().sign(new TextEncoder().encode(`${secret}-other`)), /signature/);
  });

  it('refuses a token for another audience or from another issuer', async () => {
    await expectInvalid(hs, await token().setAudience('query-api').sign(key), /claim/);
    await expectInvalid(hs, await token().setIssuer('https://evil.example/').sign(key), /claim/);
  });

  it('refuses an expired token and one without an expiry', async () => {
    const expired = await token()
      .setIssuedAt(Math.floor(Date.now() / 1000) - 3600)
      .setExpirationTime(Math.floor(Date.now() / 1000) - 120)
      .sign(key);
    await expectInvalid(hs, expired, /expired/);
    const eternal = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('buyer-1')
      .setIssuer(issuer)
      .setAudience(audience)
      .sign(key);
    await expectInvalid(hs, eternal, /claim/);
  });

  it('keeps a verified token only until it expires, and never serves a tampered copy of it', async () => {
    const strict = createJwtVerifier({
      algorithm: 'HS256',
      secret,
      issuer,
      audience,
      clockToleranceSeconds: 0,
    });
    const expiresAt = Math.floor(Date.now() / 1000) + 2; // valid for one to two seconds
    const shortLived = await token().setExpirationTime(expiresAt).sign(key);
    expect((await strict.verify(shortLived)).buyerId).toBe('buyer-1');
    expect((await strict.verify(shortLived)).buyerId).toBe('buyer-1'); // remembered
    const [header, payload, signature] = shortLived.split('.');
    const otherSubject = Buffer.from(
      JSON.stringify({ ...JSON.parse(Buffer.from(payload!, 'base64url').toString()), sub: 'mallory' }),
    ).toString('base64url');
    await expect(strict.verify(`${header}.${otherSubject}.${signature}`)).rejects.toMatchObject({
      status: 401,
    });
    await expect(strict.verify(`${header}.${payload}.${signature!.slice(0, -2)}AA`)).rejects.toMatchObject({
      status: 401,
    });
    await new Promise((resolve) => setTimeout(resolve, expiresAt * 1000 - Date.now() + 50));
    await expect(strict.verify(shortLived)).rejects.toMatchObject({ status: 401 });
    await expectInvalid(strict, shortLived, /expired/);
  });

  it('refuses a token without a subject', async () => {
    const anonymous = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer(issuer)
      .setAudience(audience)
      .setExpirationTime('5m')
      .sign(key);
    await expectInvalid(hs, anonymous, /claim|subject/);
  });

  it('refuses malformed tokens and non-bearer credentials', async () => {
    await expectInvalid(hs, 'not.a.jwt', /malformed/);
    await expectInvalid(hs, 'garbage', /malformed/);
    const basic = await request(app(hs)).get('/me').set('Authorization', 'Basic YWxpY2U6c2VjcmV0');
    expect(basic.status).toBe(401);
    expect(basic.body.code).toBe('invalid-token');
  });

  it('refuses to start with a short HS256 secret', () => {
    expect(() => createJwtVerifier({ algorithm: 'HS256', secret: 'short', issuer, audience })).toThrow(/32/);
  });

  describe('RS256 with the issuer JWKS', () => {
    let server: Server;
    let privateKey: CryptoKey;
    let rs: JwtVerifier;

    beforeAll(async () => {
      const pair = await generateKeyPair('RS256');
      privateKey = pair.privateKey;
      const jwk = { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
      server = createServer((_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [jwk] }));
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const { port } = server.address() as AddressInfo;
      rs = createJwtVerifier({
        algorithm: 'RS256',
        jwksUrl: `http://127.0.0.1:${port}/.well-known/jwks.json`,
        issuer,
        audience,
      });
    });
    afterAll(async () => {
      await new Promise((resolve) => server.close(resolve));
    });

    it('accepts a token signed by a key in the JWKS', async () => {
      const jwt = await token({}, { alg: 'RS256', kid: 'k1' }).sign(privateKey);
      expect((await rs.verify(jwt)).buyerId).toBe('buyer-1');
    });

    it('refuses an HS256 token forged with the public key as the secret (algorithm confusion)', async () => {
      const jwks = (await (
        await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)
      ).json()) as {
        keys: unknown[];
      };
      const forged = await token().sign(new TextEncoder().encode(JSON.stringify(jwks.keys[0])));
      await expectInvalid(rs, forged, /algorithm/);
    });

    it('refuses a token signed with a key the issuer does not publish', async () => {
      const stranger = await generateKeyPair('RS256');
      const jwt = await token({}, { alg: 'RS256', kid: 'k2' }).sign(stranger.privateKey);
      await expectInvalid(rs, jwt, /unknown key/);
    });

    it('answers 503, not 401, when the issuer keys cannot be fetched', async () => {
      const closed = createServer();
      await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
      const { port } = closed.address() as AddressInfo;
      await new Promise((resolve) => closed.close(resolve));
      const unreachable = createJwtVerifier({
        algorithm: 'RS256',
        jwksUrl: `http://127.0.0.1:${port}/jwks`,
        issuer,
        audience,
      });
      const jwt = await token({}, { alg: 'RS256', kid: 'k1' }).sign(privateKey);
      const response = await request(app(unreachable)).get('/me').set('Authorization', `Bearer ${jwt}`);
      expect(response.status).toBe(503);
      expect(response.body.code).toBe('unavailable');
      expect(response.headers['retry-after']).toBe('5');
    });
  });
});
