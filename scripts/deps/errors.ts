/**
 * A failure the user can act on: a missing prerequisite, a failed build, a part that crashed.
 * The CLI prints only the message (no stack), so it must name what is missing and what to do.
 */
export class DepsError extends Error {
  override name = 'DepsError';
}
