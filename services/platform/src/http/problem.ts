/**
 * RFC 9457 problem documents: every error response of every service is
 * `application/problem+json` with a stable `type` URI from an error registry, and no stack
 * trace or internal message ever reaches the client.
 */
import type { ErrorRequestHandler, Request, RequestHandler, Response } from 'express';
import type { Logger } from 'pino';
import { z } from 'zod';
import { AppError } from '../errors/app-error.ts';
import { PlatformErrors } from '../errors/platform-errors.ts';
import type { ErrorType } from '../errors/registry.ts';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

export interface ProblemDocument {
  type: string;
  title: string;
  status: number;
  detail?: string;
  instance?: string;
  /** Stable error code (the last segment of `type`), for clients that prefer not to parse URIs. */
  code: string;
  [extension: string]: unknown;
}

/** Where an invalid value was found, RFC 9457 §3 style: a JSON Pointer into that part of the request. */
export interface ValidationIssue {
  in: 'body' | 'params' | 'query' | 'headers';
  /** JSON Pointer (RFC 6901) as a URI fragment, e.g. `#/quantity` or `#/items/0/name`. */
  pointer: string;
  detail: string;
}

export function jsonPointer(path: readonly PropertyKey[]): string {
  return `#${path.map((key) => `/${String(key).replaceAll('~', '~0').replaceAll('/', '~1')}`).join('')}`;
}

/** One entry per problem; an unknown key gets its own pointer, so clients can highlight it. */
export function validationIssues(error: z.ZodError, location: ValidationIssue['in']): ValidationIssue[] {
  return error.issues.flatMap((issue) =>
    issue.code === 'unrecognized_keys'
      ? issue.keys.map((key) => ({
          in: location,
          pointer: jsonPointer([...issue.path, key]),
          detail: 'Unknown field',
        }))
      : [{ in: location, pointer: jsonPointer(issue.path), detail: issue.message }],
  );
}

export function invalidRequest(errors: ValidationIssue[]): AppError {
  const first = errors[0];
  const detail =
    errors.length === 1 && first
      ? `${first.in} ${first.pointer.slice(1) || '(root)'}: ${first.detail}`
      : `${errors.length} fields are invalid`;
  return new AppError(PlatformErrors.InvalidRequest, { detail, extensions: { errors } });
}

export interface ProblemResponse {
  problem: ProblemDocument;
  headers: Record<string, string>;
  /** True when the client did nothing wrong; such errors are logged with their cause. */
  unexpected: boolean;
}

export function problem(kind: ErrorType, fields: Partial<ProblemDocument> = {}): ProblemDocument {
  return { ...fields, type: kind.type, title: kind.title, status: kind.status, code: kind.code };
}

/** body-parser (express.json) reports its failures as HttpErrors with a `type` string. */
function bodyParserKind(error: unknown): ErrorType | undefined {
  if (typeof error !== 'object' || error === null || !('type' in error)) return undefined;
  switch ((error as { type: unknown }).type) {
    case 'entity.parse.failed':
      return PlatformErrors.MalformedJson;
    case 'entity.too.large':
      return PlatformErrors.PayloadTooLarge;
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return PlatformErrors.UnsupportedMediaType;
    case 'request.aborted':
    case 'request.size.invalid':
    case 'stream.encoding.set':
      return PlatformErrors.InvalidRequest;
    default:
      return undefined;
  }
}

const BY_STATUS = new Map<number, ErrorType>(
  [
    PlatformErrors.InvalidRequest,
    PlatformErrors.NotFound,
    PlatformErrors.MethodNotAllowed,
    PlatformErrors.PayloadTooLarge,
    PlatformErrors.UnsupportedMediaType,
  ].map((kind) => [kind.status, kind]),
);

/**
 * Client errors raised by express itself or its dependencies as http-errors (e.g. a path with
 * broken percent-encoding): they are the client's fault, so never a 500.
 */
function clientHttpErrorKind(error: unknown): ErrorType | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const { status, statusCode, expose } = error as {
    status?: unknown;
    statusCode?: unknown;
    expose?: unknown;
  };
  const code = typeof status === 'number' ? status : statusCode;
  if (expose !== true || typeof code !== 'number' || code < 400 || code > 499) return undefined;
  return BY_STATUS.get(code) ?? PlatformErrors.InvalidRequest;
}

const BODY_PARSER_DETAIL: Record<string, string> = {
  'malformed-json': 'The body could not be parsed as JSON',
  'payload-too-large': 'The body exceeds the size limit',
  'unsupported-media-type': 'The body encoding or charset is not supported',
  'invalid-request': 'The request could not be read',
  'not-found': 'Not found',
  'method-not-allowed': 'Method not allowed',
};

export function toProblem(error: unknown, instance?: string): ProblemResponse {
  const at = instance === undefined ? {} : { instance };
  if (error instanceof AppError) {
    return {
      problem: {
        ...error.extensions,
        ...problem(error.kind, { ...at, ...(error.detail === undefined ? {} : { detail: error.detail }) }),
      },
      headers: { ...error.headers },
      unexpected: error.kind.status >= 500,
    };
  }
  // A handler that parses its own input with `schema.parse` gets a 400. Parsing of trusted
  // data (messages, rows) must not let a ZodError escape into a handler: wrap it as internal.
  if (error instanceof z.ZodError) {
    return { ...toProblem(invalidRequest(validationIssues(error, 'body')), instance), unexpected: false };
  }
  // The router decodes path parameters; a URIError can only come from a malformed request URL.
  if (error instanceof URIError)
    return {
      problem: problem(PlatformErrors.InvalidRequest, {
        ...at,
        detail: 'The URL is not validly percent-encoded',
      }),
      headers: {},
      unexpected: false,
    };
  const bodyKind = bodyParserKind(error) ?? clientHttpErrorKind(error);
  if (bodyKind)
    return {
      problem: problem(bodyKind, { ...at, detail: BODY_PARSER_DETAIL[bodyKind.code] }),
      headers: {},
      unexpected: false,
    };
  return { problem: problem(PlatformErrors.Internal, at), headers: {}, unexpected: true };
}

export function sendProblem(res: Response, doc: ProblemDocument, headers: Record<string, string> = {}): void {
  res.status(doc.status).set(headers).type(PROBLEM_CONTENT_TYPE).send(JSON.stringify(doc));
}

function instanceOf(req: Request): string {
  return req.originalUrl.split('?')[0] ?? req.originalUrl;
}

/** Express error handler (register last): any thrown or `next(error)`-ed value → a problem document. */
export function problemHandler(logger?: Logger): ErrorRequestHandler {
  return (error: unknown, req, res, next) => {
    if (res.headersSent) {
      // Too late for a problem document (e.g. a failing SSE stream): let express end the socket.
      next(error);
      return;
    }
    const { problem: doc, headers, unexpected } = toProblem(error, instanceOf(req));
    if (unexpected) logger?.error({ err: error, method: req.method, url: req.originalUrl }, 'request failed');
    sendProblem(res, doc, headers);
  };
}

/** For paths no route matches (register after the routes, before `problemHandler`). */
export function notFoundHandler(): RequestHandler {
  return (req, res) => {
    sendProblem(
      res,
      problem(PlatformErrors.NotFound, {
        detail: `No resource at ${req.method} ${instanceOf(req)}`,
        instance: instanceOf(req),
      }),
    );
  };
}
