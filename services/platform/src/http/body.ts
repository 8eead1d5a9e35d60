/**
 * JSON request bodies: size-limited, JSON-only (anything else is 415 rather than silently an
 * empty body), with the exact bytes kept for signature checks (webhooks sign the raw body, and
 * re-serialising parsed JSON would not reproduce it).
 */
import express from 'express';
import type { Request, RequestHandler } from 'express';
import { AppError } from '../errors/app-error.ts';
import { PlatformErrors } from '../errors/platform-errors.ts';

const JSON_TYPES = ['application/json', 'application/*+json'];
const rawBodies = new WeakMap<Request, Buffer>();

/** The body exactly as received, or undefined when the request had none. */
export function rawBodyOf(req: Request): Buffer | undefined {
  return rawBodies.get(req);
}

export interface JsonBodyOptions {
  /** Largest accepted body, in bytes or a size string such as '16kb'. */
  limit?: number | string;
}

/** Rejects a body that is not JSON with 415; a request without a body passes through. */
export function requireJsonContentType(): RequestHandler {
  return (req, _res, next) => {
    // `req.is` is null without Content-Length / Transfer-Encoding; `Content-Length: 0` is no body either.
    const matched = req.get('content-length') === '0' ? null : req.is(JSON_TYPES);
    if (matched !== false) {
      next();
      return;
    }
    next(
      new AppError(PlatformErrors.UnsupportedMediaType, {
        detail: `Content-Type ${req.get('content-type') ?? '(none)'} is not accepted; send application/json`,
      }),
    );
  };
}

export function jsonBody({ limit = '16kb' }: JsonBodyOptions = {}): RequestHandler[] {
  return [
    requireJsonContentType(),
    express.json({
      limit,
      strict: true,
      type: JSON_TYPES,
      verify: (req, _res, buffer) => {
        rawBodies.set(req as Request, buffer);
      },
    }),
  ];
}
