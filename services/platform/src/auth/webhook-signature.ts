/**
 * Payment-provider webhooks: `Boxoffice-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256>` over
 * `${t}.${rawBody}`. The timestamp is signed, so a captured request cannot be replayed after
 * the tolerance window; several `v1` entries are accepted so the secret can be rotated.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { AppError } from '../errors/app-error.ts';
import { PlatformErrors } from '../errors/platform-errors.ts';
import { rawBodyOf } from '../http/body.ts';
import { documented, type DocumentedMiddleware } from '../http/route.ts';

export const SIGNATURE_HEADER = 'Boxoffice-Signature';
export const DEFAULT_TOLERANCE_SECONDS = 300;

function hmac(secret: string, timestamp: number, rawBody: Buffer | string): Buffer {
  return createHmac('sha256', secret).update(`${timestamp}.`).update(rawBody).digest();
}

/** The header value for `rawBody` signed at `timestamp` (unix seconds). */
export function signWebhook(
  secret: string,
  rawBody: Buffer | string,
  timestamp: number = Math.floor(Date.now() / 1000),
): string {
  return `t=${timestamp},v1=${hmac(secret, timestamp, rawBody).toString('hex')}`;
}

export type SignatureVerdict =
  | { ok: true; timestamp: number }
  | { ok: false; reason: 'missing' | 'malformed' | 'outside-tolerance' | 'mismatch' };

export interface VerifyOptions {
  toleranceSeconds?: number;
  /** Unix seconds; for tests. */
  now?: number;
}

function parseHeader(header: string): { timestamp: number; signatures: Buffer[] } | undefined {
  let timestamp: number | undefined;
  const signatures: Buffer[] = [];
  for (const part of header.split(',')) {
    const [key, value, ...rest] = part.trim().split('=');
    if (value === undefined || rest.length > 0) return undefined;
    if (key === 't') {
      if (!/^\d{1,12}$/.test(value) || timestamp !== undefined) return undefined;
      timestamp = Number(value);
    } else if (key === 'v1') {
      if (!/^[0-9a-f]{64}$/i.test(value)) return undefined;
      signatures.push(Buffer.from(value, 'hex'));
    }
    // Other schemes (v0, future v2) are ignored, as Stripe-style receivers do.
  }
  return timestamp === undefined || signatures.length === 0 ? undefined : { timestamp, signatures };
}

/** Checks the header against any of `secrets` (current and previous during rotation). */
export function verifyWebhookSignature(
  secrets: string | readonly string[],
  header: string | undefined,
  rawBody: Buffer | string,
  { toleranceSeconds = DEFAULT_TOLERANCE_SECONDS, now = Math.floor(Date.now() / 1000) }: VerifyOptions = {},
): SignatureVerdict {
  if (header === undefined || header.trim() === '') return { ok: false, reason: 'missing' };
  const parsed = parseHeader(header);
  if (parsed === undefined) return { ok: false, reason: 'malformed' };
  if (Math.abs(now - parsed.timestamp) > toleranceSeconds) return { ok: false, reason: 'outside-tolerance' };
  for (const secret of typeof secrets === 'string' ? [secrets] : secrets) {
    const expected = hmac(secret, parsed.timestamp, rawBody);
    // Constant-time per candidate: timing reveals nothing about how many bytes matched.
    if (parsed.signatures.some((candidate) => timingSafeEqual(candidate, expected)))
      return { ok: true, timestamp: parsed.timestamp };
  }
  return { ok: false, reason: 'mismatch' };
}

const REASONS: Record<Exclude<SignatureVerdict, { ok: true }>['reason'], string> = {
  missing: `The ${SIGNATURE_HEADER} header is missing`,
  malformed: `The ${SIGNATURE_HEADER} header is malformed`,
  'outside-tolerance': 'The signature timestamp is outside the tolerance window',
  mismatch: 'The signature does not match the body',
};

export interface WebhookSignatureOptions extends Omit<VerifyOptions, 'now'> {
  secrets: string | readonly string[];
}

/**
 * Rejects unsigned or badly signed requests with 401 before any handler runs. Needs the raw body,
 * so mount it after `jsonBody()` (which keeps the exact bytes).
 */
export function requireWebhookSignature({
  secrets,
  toleranceSeconds,
}: WebhookSignatureOptions): DocumentedMiddleware {
  if ((typeof secrets === 'string' ? [secrets] : secrets).some((secret) => secret.length < 16))
    throw new Error('webhook secrets need at least 16 characters');
  return documented(
    (req, res, next) => {
      const verdict = verifyWebhookSignature(
        secrets,
        req.get(SIGNATURE_HEADER),
        rawBodyOf(req) ?? Buffer.alloc(0),
        {
          ...(toleranceSeconds === undefined ? {} : { toleranceSeconds }),
        },
      );
      if (!verdict.ok)
        throw new AppError(PlatformErrors.InvalidSignature, { detail: REASONS[verdict.reason] });
      res.locals.webhookTimestamp = verdict.timestamp;
      next();
    },
    {
      securitySchemes: {
        webhookSignature: {
          type: 'apiKey',
          in: 'header',
          name: SIGNATURE_HEADER,
          description: 't=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">',
        },
      },
      security: [{ webhookSignature: [] }],
      problems: [PlatformErrors.InvalidSignature],
    },
  );
}
