import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import type { Response } from 'supertest';
import type TestAgent from 'supertest/lib/agent';
import type Test from 'supertest/lib/test';

// Every response an e2e spec receives is checked against the OpenAPI document the app serves
// (/docs-json): its operation (method and path template) must declare the status, and a JSON body
// must fit the declared schema, read strictly: objects are closed unless the schema says
// otherwise, so a field the document does not describe fails the test.

type Json = Record<string, unknown>;
interface Operation {
  method: string;
  template: string;
  pattern: RegExp;
  literalLength: number;
  responses: Record<string, Json>;
}

// Responses no document can describe, each with why.
const NOT_DESCRIBED: { method?: string; path: RegExp; status?: number; why: string }[] = [
  // The document and its UI describe the API, not themselves.
  { path: /^\/docs(-json|\/.*)?$/, why: 'the OpenAPI document and Swagger UI' },
  // CORS preflights are answered by @fastify/cors before any route.
  { method: 'OPTIONS', path: /.*/, why: 'CORS preflight' },
  // Node's HTTP parser refuses a request line and headers past 16 KB before the app sees them.
  { path: /.*/, status: 431, why: "Node's header size limit" },
];

export class OpenApiResponses {
  private readonly ajv = new Ajv({ strict: false, allErrors: true, logger: false });
  private readonly operations: Operation[];
  private readonly compiled = new Map<string, ValidateFunction>();

  constructor(document: Json) {
    addFormats(this.ajv);
    this.ajv.addFormat('binary', true);
    this.ajv.addSchema(toJsonSchema(document) as Json, 'openapi');
    // A `fields` answer is sparse: only its keys' presence is not the document's to say.
    this.ajv.addSchema(toJsonSchema(document, { sparse: true }) as Json, 'openapi-sparse');
    this.operations = operationsOf(document);
  }

  // Why this response breaks the document, or null when it fits.
  check(method: string, url: string, res: Response): string | null {
    const { pathname: path, searchParams } = new URL(url, 'http://localhost');
    if (NOT_DESCRIBED.some((rule) => (!rule.method || rule.method === method) && rule.path.test(path) && (!rule.status || rule.status === res.status))) {
      return null;
    }
    const operation = this.operationFor(method, path);
    // Fastify's own 404 for a route that does not exist: no operation to declare it on.
    if (!operation) return res.status === 404 ? null : `${method} ${path} → ${res.status}: no operation of the OpenAPI document serves it`;
    const name = `${method} ${operation.template} → ${res.status}`;
    const response = operation.responses[String(res.status)] ?? operation.responses.default;
    if (!response) return `${name}: the OpenAPI document declares no ${res.status} for this operation (it declares ${Object.keys(operation.responses).join(', ')})`;
    return this.checkBody(name, operation, res, { head: method === 'HEAD', sparse: searchParams.has('fields') });
  }

  // HEAD is GET without the body (Fastify serves it for every GET route).
  private operationFor(method: string, path: string): Operation | undefined {
    const find = (wanted: string) => this.operations.find((candidate) => candidate.method === wanted && candidate.pattern.test(path));
    return find(method) ?? (method === 'HEAD' ? find('GET') : undefined);
  }

  private checkBody(name: string, operation: Operation, res: Response, { head, sparse }: { head: boolean; sparse: boolean }): string | null {
    const text = bodyText(res);
    if (res.status === 204 || res.status === 304 || head) {
      return text.length > 0 ? `${name}: a ${res.status} must have no body, got ${JSON.stringify(text.slice(0, 200))}` : null;
    }
    const status = operation.responses[String(res.status)] ? String(res.status) : 'default';
    const content = (operation.responses[status].content ?? {}) as Record<string, { schema?: unknown }>;
    if (text.length === 0) return Object.keys(content).length === 0 ? null : `${name}: the document declares a body, got none`;
    const contentType = String(res.headers['content-type'] ?? '');
    const mediaType = declaredMediaType(Object.keys(content), contentType);
    if (!mediaType) {
      return `${name}: the document declares no ${contentType || 'untyped'} body (it declares ${Object.keys(content).join(', ') || 'none'}), got ${JSON.stringify(text.slice(0, 200))}`;
    }
    // Downloads, metrics text and the like: the media type is all the document says of them.
    if (!isJson(contentType) || !content[mediaType].schema) return null;
    const validate = this.validatorFor(operation, status, mediaType, sparse);
    const body = parsedBody(res);
    if (validate(body)) return null;
    return `${name}: the body does not fit the OpenAPI document\n${describeErrors(validate.errors ?? [], body)}`;
  }

  private validatorFor(operation: Operation, status: string, mediaType: string, sparse: boolean): ValidateFunction {
    const pointer = ['paths', operation.template, operation.method.toLowerCase(), 'responses', status, 'content', mediaType, 'schema']
      .map((segment) => segment.replace(/~/g, '~0').replace(/\//g, '~1'))
      .join('/');
    const ref = `${sparse ? 'openapi-sparse' : 'openapi'}#/${pointer}`;
    let validate = this.compiled.get(ref);
    if (!validate) {
      validate = this.ajv.compile({ $ref: ref });
      this.compiled.set(ref, validate);
    }
    return validate;
  }
}

const isJson = (contentType: string) => /^application\/(.+\+)?json\b/.test(contentType);
const baseType = (contentType: string) => contentType.split(';')[0].trim().toLowerCase();

// The declared media type the response's Content-Type is (its parameters aside), or */* when declared.
function declaredMediaType(declared: string[], contentType: string): string | undefined {
  return declared.find((type) => baseType(type) === baseType(contentType)) ?? declared.find((type) => type === '*/*');
}

function bodyText(res: Response): string {
  return Buffer.isBuffer(res.body) ? res.body.toString('utf8') : (res.text ?? '');
}

// The JSON body, also when the test asked for the raw bytes (a download's error, say).
function parsedBody(res: Response): unknown {
  const body: unknown = res.body;
  if (Buffer.isBuffer(body)) return JSON.parse(body.toString('utf8'));
  return body;
}

// The operations, literal paths before templated ones (/tickets/search.json before /tickets/{id}.json).
function operationsOf(document: Json): Operation[] {
  const operations: Operation[] = [];
  for (const [template, item] of Object.entries(document.paths as Record<string, Record<string, Json>>)) {
    for (const [method, operation] of Object.entries(item)) {
      if (!operation || typeof operation !== 'object' || !('responses' in operation)) continue;
      const source = template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{[^}]+\}/g, '[^/]+');
      operations.push({
        method: method.toUpperCase(),
        template,
        pattern: new RegExp(`^${source}/?$`),
        literalLength: template.replace(/\{[^}]+\}/g, '').length,
        responses: operation.responses as Record<string, Json>,
      });
    }
  }
  return operations.sort((a, b) => b.literalLength - a.literalLength);
}

// OpenAPI 3.0's schema dialect as JSON Schema: `nullable` becomes a null type, and an object that
// lists its properties admits no others unless it says so. `sparse` (a `fields` answer) drops the
// objects' `required` lists.
export function toJsonSchema(node: unknown, options: { sparse?: boolean } = {}): unknown {
  if (Array.isArray(node)) return node.map((item) => toJsonSchema(item, options));
  if (!node || typeof node !== 'object') return node;
  const converted: Json = {};
  for (const [key, value] of Object.entries(node as Json)) {
    // Keys under these name properties or examples, not schema keywords: convert their values only.
    converted[key] = key === 'example' || key === 'examples' ? value : toJsonSchema(value, options);
  }
  if (options.sparse && Array.isArray(converted.required) && isSchemaLike(converted)) delete converted.required;
  if (isClosable(converted)) converted.additionalProperties = false;
  return converted.nullable === true ? withNull(converted) : converted;
}

function isClosable(schema: Json): boolean {
  return typeof schema.properties === 'object' && schema.properties !== null && !('additionalProperties' in schema) && isSchemaLike(schema);
}

// A schema (not a map such as `properties` or `paths` that happens to hold a key named `properties`).
function isSchemaLike(schema: Json): boolean {
  return schema.type === 'object' || 'required' in schema || (!('type' in schema) && !('in' in schema));
}

function withNull(schema: Json): Json {
  const { nullable: _nullable, ...rest } = schema;
  if (typeof rest.type === 'string') {
    const type = [rest.type, 'null'];
    return Array.isArray(rest.enum) ? { ...rest, type, enum: [...(rest.enum as unknown[]), null] } : { ...rest, type };
  }
  return { anyOf: [rest, { type: 'null' }] };
}

function describeErrors(errors: ErrorObject[], body: unknown): string {
  return errors
    .slice(0, 10)
    .map((error) => {
      const pointer = error.instancePath || '/';
      const extra = error.keyword === 'additionalProperties' ? ` (${String((error.params as { additionalProperty: string }).additionalProperty)})` : '';
      return `  at ${pointer}: ${error.message ?? error.keyword}${extra} [schema ${error.schemaPath}] value ${JSON.stringify(valueAt(body, pointer))?.slice(0, 200)}`;
    })
    .join('\n');
}

function valueAt(body: unknown, pointer: string): unknown {
  return pointer
    .split('/')
    .slice(1)
    .filter((segment) => segment !== '')
    .reduce<unknown>((value, segment) => (value && typeof value === 'object' ? (value as Json)[segment.replace(/~1/g, '/').replace(/~0/g, '~')] : undefined), body);
}

const METHODS = ['get', 'post', 'put', 'patch', 'delete', 'del', 'head', 'options'] as const;

// The agent, with every request it makes checked against the document when its response arrives:
// a mismatch is the request's error, so the awaiting test fails with it.
export function validatingAgent(agent: TestAgent, responses: OpenApiResponses): TestAgent {
  for (const method of METHODS) {
    const make = (agent[method] as (url: string) => Test).bind(agent);
    (agent as unknown as Record<string, unknown>)[method] = (url: string) => checked(make(url), responses);
  }
  return agent;
}

type Assert = (resError: unknown, res: Response | undefined, fn?: (err: unknown, res: Response | undefined) => void) => void;

function checked(test: Test, responses: OpenApiResponses): Test {
  const withAssert = test as unknown as { assert: Assert; method: string; url: string };
  const assert = withAssert.assert.bind(test);
  withAssert.assert = (resError, res, fn) =>
    assert(resError, res, (err, response) => {
      const mismatch = !err && response ? responses.check(withAssert.method, withAssert.url, response) : null;
      fn?.call(test, err ?? (mismatch ? new Error(`OpenAPI: ${mismatch}`) : null), response);
    });
  return test;
}
