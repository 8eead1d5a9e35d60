/**
 * A tiny typed builder for structural OpenAPI v3 schemas: each field carries its TypeScript type,
 * so the CRD schema and the operator's types come from one source (`TypeOf<typeof spec>`), and
 * every field must be given a description (what `kubectl explain` shows).
 */
type Json = Record<string, unknown>;

/** A schema node typed `T`; `D` marks a field the API server defaults (always present when read). */
export interface Field<T, D extends boolean = false> {
  readonly schema: Json;
  /** Type-level only. */
  readonly __type?: T;
  readonly __defaulted?: D;
}

export type TypeOf<F> = F extends Field<infer T, boolean> ? T : never;

type Defaulted<P> = { [K in keyof P]: P[K] extends Field<unknown, true> ? K : never }[keyof P];
type Simplify<T> = { [K in keyof T]: T[K] } & {};
/** Required and defaulted keys are present when read from the API server; the rest may be absent. */
type ObjectOf<P, R extends keyof P> = Simplify<
  { [K in R | Defaulted<P>]: TypeOf<P[K]> } & { [K in Exclude<keyof P, R | Defaulted<P>>]?: TypeOf<P[K]> }
>;

export function string<T extends string = string>(description: string, extra: Json = {}): Field<T> {
  return { schema: { type: 'string', description, ...extra } };
}

export function enumOf<const V extends readonly string[]>(
  description: string,
  values: V,
  extra: Json = {},
): Field<V[number]> {
  return { schema: { type: 'string', description, enum: [...values], ...extra } };
}

export function integer(description: string, extra: Json = {}): Field<number> {
  return { schema: { type: 'integer', format: 'int64', description, ...extra } };
}

export function boolean(description: string, extra: Json = {}): Field<boolean> {
  return { schema: { type: 'boolean', description, ...extra } };
}

export function array<F extends Field<unknown, boolean>>(
  description: string,
  items: F,
  extra: Json = {},
): Field<TypeOf<F>[]> {
  return { schema: { type: 'array', description, items: items.schema, ...extra } };
}

export function object<
  P extends Record<string, Field<unknown, boolean>>,
  const R extends keyof P & string = never,
>(
  description: string,
  properties: P,
  options: { required?: readonly R[]; extra?: Json } = {},
): Field<ObjectOf<P, R>> {
  return {
    schema: {
      type: 'object',
      description,
      properties: Object.fromEntries(Object.entries(properties).map(([k, v]) => [k, v.schema])),
      ...(options.required?.length ? { required: [...options.required] } : {}),
      ...options.extra,
    },
  };
}

/** The API server fills this field in when it is left out, so readers always see it. */
export function withDefault<T>(field: Field<T, boolean>, value: T): Field<T, true> {
  return { schema: { ...field.schema, default: value } };
}

/** A schema written by hand (e.g. `metadata`, which the API server validates itself). */
export function raw<T>(schema: Json): Field<T> {
  return { schema };
}
