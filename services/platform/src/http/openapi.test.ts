import { describe, expect, it } from '@jest/globals';
import { z } from 'zod';
import { defineErrors } from '../errors/registry.ts';
import { buildOpenApiDocument } from './openapi.ts';
import { defineRoute, documented, type AnyRoute } from './route.ts';

const ShopErrors = defineErrors({
  SoldOut: { code: 'sold-out', status: 409, title: 'Sold out' },
  LimitReached: { code: 'limit-reached', status: 409, title: 'Per-buyer limit reached' },
});

const Order = z
  .object({ id: z.uuid(), quantity: z.number().int(), status: z.enum(['HELD', 'CONFIRMED']) })
  .meta({ id: 'Order', description: 'A hold or a purchase' });

const auth = documented((_req, _res, next) => next(), {
  securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
  security: [{ bearerAuth: [] }],
  problems: [defineErrors({ T: { code: 'invalid-token', status: 401, title: 'Bad token' } }).T],
});

/** Reads a path in the generated document; a missing step yields undefined. */
function at(value: unknown, ...path: string[]): unknown {
  return path.reduce<unknown>(
    (node, key) =>
      node !== null && typeof node === 'object' ? (node as Record<string, unknown>)[key] : undefined,
    value,
  );
}

const routes = [
  defineRoute({
    operationId: 'createOrder',
    method: 'post',
    path: '/v1/events/{namespace}/{name}/orders',
    summary: 'Hold tickets',
    tags: ['orders'],
    request: {
      params: z.object({ namespace: z.string(), name: z.string().describe('TicketEvent name') }),
      headers: z.object({ 'idempotency-key': z.string().min(8) }),
      body: z.object({ ticketType: z.string(), quantity: z.number().int().min(1).max(10) }),
    },
    responses: {
      201: { description: 'Held', schema: Order },
      202: {
        description: 'Pending',
        headers: { Location: { description: 'The order', schema: { type: 'string' } } },
      },
    },
    problems: [ShopErrors.SoldOut, ShopErrors.LimitReached],
    middleware: [auth],
    handler: () => undefined,
  }),
  defineRoute({
    operationId: 'listMyOrders',
    method: 'get',
    path: '/v1/me/orders',
    summary: 'My orders',
    request: { query: z.object({ limit: z.coerce.number().int().default(20) }) },
    responses: { 200: { description: 'Orders', schema: z.object({ orders: z.array(Order) }) } },
    handler: () => undefined,
  }),
] as AnyRoute[];

describe('OpenAPI document', () => {
  const doc = buildOpenApiDocument({ title: 'purchase-api', version: '1.0.0' }, routes);
  const createOrder = at(doc.paths, '/v1/events/{namespace}/{name}/orders', 'post');

  it('is OpenAPI 3.1 with the request body schema taken from the validating zod schema, strict', () => {
    expect(doc.openapi).toBe('3.1.0');
    expect(at(createOrder, 'operationId')).toBe('createOrder');
    expect(at(createOrder, 'requestBody')).toEqual({
      required: true,
      content: {
        'application/json': {
          schema: {
            type: 'object',
            properties: {
              ticketType: { type: 'string' },
              quantity: { type: 'integer', minimum: 1, maximum: 10 },
            },
            required: ['ticketType', 'quantity'],
            additionalProperties: false,
          },
        },
      },
    });
  });

  it('lists path, header and query parameters with their schemas', () => {
    expect(at(createOrder, 'parameters')).toEqual([
      { name: 'namespace', in: 'path', required: true, schema: { type: 'string' } },
      {
        name: 'name',
        in: 'path',
        required: true,
        description: 'TicketEvent name',
        schema: { type: 'string' },
      },
      { name: 'idempotency-key', in: 'header', required: true, schema: { type: 'string', minLength: 8 } },
    ]);
    const list = at(doc.paths, '/v1/me/orders', 'get');
    expect(at(list, 'parameters')).toEqual([
      {
        name: 'limit',
        in: 'query',
        required: false,
        // zod bounds .int() to the safe-integer range.
        schema: {
          type: 'integer',
          default: 20,
          minimum: Number.MIN_SAFE_INTEGER,
          maximum: Number.MAX_SAFE_INTEGER,
        },
      },
    ]);
  });

  it('documents every problem an operation can answer with, grouped by status, as problem+json', () => {
    expect(Object.keys(at(createOrder, 'responses') as object)).toEqual([
      '201',
      '202',
      '400',
      '401',
      '409',
      '413',
      '415',
      '500',
    ]);
    const conflict = at(createOrder, 'responses', '409');
    expect(at(conflict, 'description')).toBe('Sold out (sold-out); Per-buyer limit reached (limit-reached)');
    expect(at(conflict, 'content', 'application/problem+json', 'schema')).toEqual({
      $ref: '#/components/schemas/Problem',
    });
    expect(at(conflict, 'content', 'application/problem+json', 'examples', 'sold-out', 'value')).toEqual({
      type: 'https://boxoffice.dev/problems/sold-out',
      title: 'Sold out',
      status: 409,
      code: 'sold-out',
    });
    expect(at(createOrder, 'responses', '400', 'description')).toMatch(/invalid-request.*malformed-json/);
  });

  it('moves named schemas into components and references them', () => {
    expect(at(createOrder, 'responses', '201', 'content', 'application/json', 'schema')).toEqual({
      $ref: '#/components/schemas/Order',
    });
    expect(at(createOrder, 'responses', '202')).toEqual({
      description: 'Pending',
      headers: { Location: { description: 'The order', schema: { type: 'string' } } },
    });
    expect(doc.components.schemas.Order).toMatchObject({
      type: 'object',
      description: 'A hold or a purchase',
    });
    const list = at(doc.paths, '/v1/me/orders', 'get');
    expect(
      at(list, 'responses', '200', 'content', 'application/json', 'schema', 'properties', 'orders', 'items'),
    ).toEqual({
      $ref: '#/components/schemas/Order',
    });
    expect(JSON.stringify(doc)).not.toContain('$defs');
    expect(JSON.stringify(doc)).not.toContain('"$schema"');
  });

  it('takes security requirements and schemes from the middleware a route uses', () => {
    expect(at(createOrder, 'security')).toEqual([{ bearerAuth: [] }]);
    expect(doc.components.securitySchemes).toEqual({
      bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
    });
    expect(doc.paths['/v1/me/orders']?.get).not.toHaveProperty('security');
  });

  it('keeps input and output variants apart when a named schema differs between them', () => {
    const Paging = z.object({ limit: z.number().default(10) }).meta({ id: 'Paging' });
    const variants = buildOpenApiDocument({ title: 't', version: '1' }, [
      defineRoute({
        operationId: 'echo',
        method: 'post',
        path: '/echo',
        summary: 'echo',
        request: { body: Paging },
        responses: { 200: { description: 'ok', schema: Paging } },
        handler: () => undefined,
      }),
    ] as AnyRoute[]);
    expect(Object.keys(variants.components.schemas).sort()).toEqual(['Paging', 'PagingInput', 'Problem']);
    expect((variants.components.schemas.PagingInput as { required?: string[] }).required).toBeUndefined();
    expect((variants.components.schemas.Paging as { required?: string[] }).required).toEqual(['limit']);
    const echo = at(variants.paths, '/echo', 'post');
    expect(at(echo, 'requestBody', 'content', 'application/json', 'schema')).toEqual({
      $ref: '#/components/schemas/PagingInput',
    });
    expect(at(echo, 'responses', '200', 'content', 'application/json', 'schema')).toEqual({
      $ref: '#/components/schemas/Paging',
    });
  });
});
