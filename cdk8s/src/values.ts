/**
 * The construct's props are the chart's values: the same zod schema (scripts/chart/values-schema.ts)
 * writes the chart's values.yaml and values.schema.json, so names, nesting and defaults cannot differ.
 * Props are the schema's input (every key optional, as in a values file); the construct parses them,
 * which fills the chart's defaults and refuses an unknown or mistyped key with its path.
 */
import type { z } from 'zod';
import { valuesSchema } from '../../scripts/chart/values-schema.ts';

/** What a user passes: any subset of the chart's values. */
export type BoxofficeValues = z.input<typeof valuesSchema>;
/** Every value, defaults filled in: what the chart's templates see as `.Values`. */
export type Values = z.output<typeof valuesSchema>;

export function resolveValues(values: BoxofficeValues): Values {
  const parsed = valuesSchema.safeParse(values);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map(
    (issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`,
  );
  throw new Error(`invalid boxoffice values:\n  ${problems.join('\n  ')}`);
}
