import type { SchemaObject } from '@nestjs/swagger/dist/interfaces/open-api-spec.interface';

// A response shape written once: the OpenAPI schema the document serves, carrying the TypeScript type
// of what it describes. A presenter declares `Wire<typeof X_SCHEMA>` as what it returns, so a key the
// schema lacks, a key it requires that is missing, or a value of another type fails `tsc`.
declare const wireType: unique symbol;
export type WireSchema<T> = SchemaObject & { readonly [wireType]: T };
export type Wire<S> = S extends { readonly [wireType]: infer T } ? T : never;

// What a schema may add to its type: words and limits for the document, never a change of type.
export type SchemaDoc = Pick<
  SchemaObject,
  'description' | 'example' | 'format' | 'pattern' | 'maxLength' | 'minimum' | 'maxItems' | 'readOnly' | 'deprecated' | 'default'
>;

type Properties = Record<string, WireSchema<unknown>>;
type Flat<T> = { [K in keyof T]: T[K] } & {};
type ObjectOf<P extends Properties, Optional extends keyof P> = Flat<
  { [K in Exclude<keyof P, Optional>]: Wire<P[K]> } & { [K in Optional]?: Wire<P[K]> }
>;

export interface ObjectOptions<P extends Properties, Optional extends keyof P> extends SchemaDoc {
  // Keys a presenter may leave out (e.g. deletedAt until deleted).
  optional?: readonly Optional[];
  // The document's `required` list when it is not every key but the optional ones.
  required?: readonly (keyof P & string)[];
  additionalProperties?: false;
}

const typed = <T>(schema: SchemaObject): WireSchema<T> => schema as WireSchema<T>;

export const wire = {
  integer: (doc: SchemaDoc = {}) => typed<number>({ type: 'integer', ...doc }),
  number: (doc: SchemaDoc = {}) => typed<number>({ type: 'number', ...doc }),
  string: (doc: SchemaDoc = {}) => typed<string>({ type: 'string', ...doc }),
  dateTime: (doc: SchemaDoc = {}) => typed<string>({ type: 'string', format: 'date-time', ...doc }),
  boolean: (doc: SchemaDoc = {}) => typed<boolean>({ type: 'boolean', ...doc }),
  // Any JSON value (a custom field's value, whose type is the field's).
  any: (doc: SchemaDoc = {}) => typed<unknown>({ ...doc }),
  enum: <const V extends readonly string[]>(values: V, doc: SchemaDoc = {}) => typed<V[number]>({ type: 'string', enum: [...values], ...doc }),
  nullable: <T>(schema: WireSchema<T>, doc: SchemaDoc = {}) => typed<T | null>({ ...schema, nullable: true, ...doc }),
  // The same type, further words for the document.
  with: <T>(schema: WireSchema<T>, doc: SchemaDoc) => typed<T>({ ...schema, ...doc }),
  array: <T>(items: WireSchema<T>, doc: SchemaDoc = {}) => typed<T[]>({ type: 'array', items, ...doc }),
  // One of several shapes (anyOf: a sparse form may fit more than one).
  anyOf: <S extends readonly WireSchema<unknown>[]>(schemas: S, doc: SchemaDoc = {}) => typed<Wire<S[number]>>({ anyOf: [...schemas], ...doc }),
  record: <T>(values: WireSchema<T>, doc: SchemaDoc = {}) => typed<Record<string, T>>({ type: 'object', additionalProperties: values, ...doc }),
  // Every key not `optional` is required in the document too (a sparse `fields` answer aside), so
  // the document and the type say the same of a key's presence.
  object: <P extends Properties, Optional extends keyof P = never>(properties: P, options: ObjectOptions<P, Optional> = {}) => {
    const { optional = [], required, ...doc } = options;
    const keys = required ?? Object.keys(properties).filter((key) => !(optional as readonly PropertyKey[]).includes(key));
    return typed<ObjectOf<P, Optional>>({ type: 'object', ...(keys.length > 0 ? { required: [...keys] } : {}), properties, ...doc });
  },
};

// An object schema's keys, in the order the schema lists them.
export const propertiesOf = <T extends object>(schema: WireSchema<T>) => Object.keys(schema.properties ?? {}) as (keyof T & string)[];
