/**
 * OpenAPI 3.1 from the route table. Request and response schemas are the zod schemas that
 * validate requests (`z.toJSONSchema`, JSON Schema 2020-12 — the dialect OpenAPI 3.1 uses);
 * every operation lists the problems it can answer with, from the error registries.
 */
import type { RequestHandler } from 'express';
import { z } from 'zod';
import { PlatformErrors } from '../errors/platform-errors.ts';
import type { ErrorType } from '../errors/registry.ts';
import { PROBLEM_CONTENT_TYPE } from './problem.ts';
import type { AnyRoute, OperationDoc } from './route.ts';
import { prepareSchemas } from './validate.ts';

type JsonSchema = Record<string, unknown>;

export interface OpenApiInfo {
  title: string;
  version: string;
  description?: string;
  servers?: { url: string; description?: string }[];
}

export type OpenApiDocument = {
  openapi: '3.1.0';
  info: { title: string; version: string; description?: string };
  servers?: { url: string; description?: string }[];
  paths: Record<string, Record<string, unknown>>;
  components: {
    schemas: Record<string, JsonSchema>;
    securitySchemes?: Record<string, Record<string, unknown>>;
  };
};

export const problemSchema: JsonSchema = {
  type: 'object',
  description: 'RFC 9457 problem details',
  properties: {
    type: { type: 'string', format: 'uri', description: 'https://boxoffice.dev/problems/<code>' },
    title: { type: 'string' },
    status: { type: 'integer', minimum: 400, maximum: 599 },
    detail: { type: 'string' },
    instance: { type: 'string' },
    code: { type: 'string', description: 'Stable error code, the last segment of `type`' },
    errors: {
      type: 'array',
      description: 'Invalid fields (invalid-request only)',
      items: {
        type: 'object',
        properties: {
          in: { enum: ['body', 'params', 'query', 'headers'] },
          pointer: { type: 'string', description: 'JSON Pointer as a URI fragment, e.g. #/quantity' },
          detail: { type: 'string' },
        },
        required: ['in', 'pointer', 'detail'],
      },
    },
  },
  required: ['type', 'title', 'status', 'code'],
};

/** Problems any operation can produce (bad input, unexpected failure, overload). */
const COMMON_PROBLEMS: ErrorType[] = [PlatformErrors.Internal];
const BODY_PROBLEMS: ErrorType[] = [
  PlatformErrors.MalformedJson,
  PlatformErrors.PayloadTooLarge,
  PlatformErrors.UnsupportedMediaType,
];

/**
 * Converts zod schemas, collecting named (`.meta({ id })`) sub-schemas for `components`. A named
 * schema can differ as input and as output (defaults, transforms); the output keeps the name and
 * the input becomes `<id>Input`. Names are settled in `finish`, so route order does not matter.
 */
class SchemaConverter {
  private readonly defs = { input: new Map<string, string>(), output: new Map<string, string>() };

  convert(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
    const json = z.toJSONSchema(schema, {
      target: 'draft-2020-12',
      io,
      unrepresentable: 'any',
    }) as JsonSchema;
    const {
      $schema: _dialect,
      $defs = {},
      ...rest
    } = json as JsonSchema & { $defs?: Record<string, JsonSchema> };
    const placeholder = (value: JsonSchema): string =>
      JSON.stringify(value).replace(/"#\/\$defs\/([^"]+)"/g, (_match, id: string) => `"${REF}${io}:${id}"`);
    for (const [id, def] of Object.entries($defs)) this.defs[io].set(id, placeholder(def));
    return JSON.parse(placeholder(rest)) as JsonSchema;
  }

  /** Replaces placeholders in the finished document and returns it with the components. */
  finish<T>(document: T): { document: T; components: Record<string, JsonSchema> } {
    const { input, output } = this.defs;
    const inputName = (id: string) =>
      output.has(id) && output.get(id) !== input.get(id) ? `${id}Input` : id;
    const resolve = (text: string) =>
      text.replace(new RegExp(`"${REF}(input|output):([^"]+)"`, 'g'), (_match, io: string, id: string) =>
        JSON.stringify(`#/components/schemas/${io === 'input' ? inputName(id) : id}`),
      );
    const components: Record<string, JsonSchema> = {};
    for (const [id, def] of output) components[id] = JSON.parse(resolve(def)) as JsonSchema;
    for (const [id, def] of input) components[inputName(id)] ??= JSON.parse(resolve(def)) as JsonSchema;
    return { document: JSON.parse(resolve(JSON.stringify(document))) as T, components };
  }
}

const REF = '~boxoffice-ref~';

function parametersOf(
  converter: SchemaConverter,
  schema: z.ZodType | undefined,
  location: 'path' | 'query' | 'header',
): Record<string, unknown>[] {
  if (schema === undefined) return [];
  const json = converter.convert(schema, 'input') as {
    properties?: Record<string, JsonSchema>;
    required?: string[];
  };
  return Object.entries(json.properties ?? {}).map(([name, property]) => {
    const { description, ...propertySchema } = property;
    return {
      name,
      in: location,
      required: location === 'path' || (json.required ?? []).includes(name),
      ...(typeof description === 'string' ? { description } : {}),
      schema: propertySchema,
    };
  });
}

function problemResponses(problems: ErrorType[]): Record<string, unknown> {
  const byStatus = new Map<number, ErrorType[]>();
  for (const kind of problems) {
    const list = byStatus.get(kind.status) ?? [];
    if (!list.some((known) => known.code === kind.code)) list.push(kind);
    byStatus.set(kind.status, list);
  }
  return Object.fromEntries(
    [...byStatus].map(([status, kinds]) => [
      String(status),
      {
        description: kinds.map((kind) => `${kind.title} (${kind.code})`).join('; '),
        content: {
          [PROBLEM_CONTENT_TYPE]: {
            schema: { $ref: '#/components/schemas/Problem' },
            examples: Object.fromEntries(
              kinds.map((kind) => [
                kind.code,
                { value: { type: kind.type, title: kind.title, status: kind.status, code: kind.code } },
              ]),
            ),
          },
        },
      },
    ]),
  );
}

export function buildOpenApiDocument(info: OpenApiInfo, routes: readonly AnyRoute[]): OpenApiDocument {
  const converter = new SchemaConverter();
  const securitySchemes: Record<string, Record<string, unknown>> = {};
  const paths: OpenApiDocument['paths'] = {};

  for (const route of routes) {
    const schemas = prepareSchemas(route.request ?? {});
    const docs: OperationDoc[] = (route.middleware ?? []).flatMap((m) => (m.openapi ? [m.openapi] : []));
    for (const doc of docs) Object.assign(securitySchemes, doc.securitySchemes ?? {});

    const problems = [
      ...(route.request && Object.keys(route.request).length > 0 ? [PlatformErrors.InvalidRequest] : []),
      ...(schemas.body ? BODY_PROBLEMS : []),
      ...docs.flatMap((doc) => doc.problems ?? []),
      ...(route.problems ?? []),
      ...COMMON_PROBLEMS,
    ];
    const middlewareHeaders = docs.flatMap((doc) =>
      Object.entries(doc.headers ?? {}).map(([name, header]) => ({ name, in: 'header', ...header })),
    );
    const parameters = [
      ...parametersOf(converter, schemas.params, 'path'),
      ...parametersOf(converter, schemas.query, 'query'),
      ...parametersOf(converter, schemas.headers, 'header'),
      ...middlewareHeaders,
    ];
    const responses: Record<string, unknown> = problemResponses(problems);
    for (const [status, spec] of Object.entries(route.responses)) {
      responses[status] = {
        description: spec.description,
        ...(spec.headers ? { headers: spec.headers } : {}),
        ...(spec.links ? { links: spec.links } : {}),
        ...(spec.schema
          ? {
              content: {
                [spec.contentType ?? 'application/json']: {
                  schema: converter.convert(spec.schema, 'output'),
                },
              },
            }
          : {}),
      };
    }
    const security = docs.flatMap((doc) => doc.security ?? []);

    paths[route.path] ??= {};
    paths[route.path]![route.method] = {
      operationId: route.operationId,
      summary: route.summary,
      ...(route.description ? { description: route.description } : {}),
      ...(route.tags ? { tags: route.tags } : {}),
      ...(parameters.length > 0 ? { parameters } : {}),
      ...(schemas.body
        ? {
            requestBody: {
              required: !schemas.body.safeParse(undefined).success,
              content: { 'application/json': { schema: converter.convert(schemas.body, 'input') } },
            },
          }
        : {}),
      responses: Object.fromEntries(Object.entries(responses).sort(([a], [b]) => Number(a) - Number(b))),
      ...(security.length > 0 ? { security } : {}),
    };
  }

  const { document, components } = converter.finish(paths);
  return {
    openapi: '3.1.0',
    info: {
      title: info.title,
      version: info.version,
      ...(info.description ? { description: info.description } : {}),
    },
    ...(info.servers ? { servers: info.servers } : {}),
    paths: document,
    components: {
      schemas: { Problem: problemSchema, ...components },
      ...(Object.keys(securitySchemes).length > 0 ? { securitySchemes } : {}),
    },
  };
}

/** Serves the document built once at start (`GET /openapi.json`). */
export function openApiHandler(document: OpenApiDocument): RequestHandler {
  const body = JSON.stringify(document);
  return (_req, res) => {
    res.type('application/json').set('Cache-Control', 'public, max-age=60').send(body);
  };
}
