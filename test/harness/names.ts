import { randomBytes } from 'node:crypto';

/**
 * A name no other suite or earlier run uses, valid as a database name, topic prefix, Redis key
 * prefix and Kubernetes namespace (lowercase DNS label), so suites run in parallel and re-run
 * without cleanup.
 */
export function uniqueName(prefix: string): string {
  return `${prefix}-${randomBytes(4).toString('hex')}`.toLowerCase().slice(0, 63);
}
