/**
 * Error registry: every package declares the failures it can report as typed constants
 * (`defineErrors`), each with a stable code, an HTTP status, a title and whether retrying the
 * same operation can succeed. Transports map these to problem documents (HTTP) or to
 * retry / dead-letter decisions (Kafka) without a try/catch per call site.
 */

export const PROBLEM_TYPE_BASE = 'https://boxoffice.dev/problems/';

export interface ErrorType<Code extends string = string> {
  /** Stable, kebab-case identifier; part of the API contract (clients switch on it). */
  readonly code: Code;
  readonly status: number;
  /** Short human-readable summary; the same for every occurrence of this type. */
  readonly title: string;
  /** RFC 9457 `type` URI: `https://boxoffice.dev/problems/<code>`. */
  readonly type: string;
  /** Whether the same operation may succeed later (back off and retry) or never will. */
  readonly retryable: boolean;
}

export interface ErrorSpec<Code extends string = string> {
  code: Code;
  status: number;
  title: string;
  /** Defaults to false: an error is terminal unless declared otherwise. */
  retryable?: boolean;
}

const CODE = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;

export function defineError<const Code extends string>(spec: ErrorSpec<Code>): ErrorType<Code> {
  if (!CODE.test(spec.code)) throw new Error(`error code "${spec.code}" must be kebab-case`);
  if (!Number.isInteger(spec.status) || spec.status < 400 || spec.status > 599)
    throw new Error(`error "${spec.code}" has status ${spec.status}: problems are 4xx or 5xx`);
  return Object.freeze({
    code: spec.code,
    status: spec.status,
    title: spec.title,
    type: `${PROBLEM_TYPE_BASE}${spec.code}`,
    retryable: spec.retryable ?? false,
  });
}

/**
 * A package's registry: `const InventoryErrors = defineErrors({ SoldOut: { code: 'sold-out', status: 409, title: 'Sold out' } })`.
 * Codes must be unique within the registry (a duplicate is a programming error, caught at load).
 */
export function defineErrors<const Specs extends Record<string, ErrorSpec>>(
  specs: Specs,
): { readonly [K in keyof Specs]: ErrorType<Specs[K]['code']> } {
  const seen = new Set<string>();
  const registry: Record<string, ErrorType> = {};
  for (const [name, spec] of Object.entries(specs)) {
    if (seen.has(spec.code)) throw new Error(`error code "${spec.code}" is declared twice`);
    seen.add(spec.code);
    registry[name] = defineError(spec);
  }
  return Object.freeze(registry) as { readonly [K in keyof Specs]: ErrorType<Specs[K]['code']> };
}
