import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import type { ExpectedVersions } from '../concurrency/representation-version';

// RFC 9110 §8.8.3: entity-tag = [ "W/" ] DQUOTE *etagc DQUOTE, etagc = %x21 / %x23-7E / obs-text.
// Empty list elements (`"a", , "b"`) are allowed by the list rule (§5.6.1).
const ENTITY_TAG = /^[\s,]*(W\/)?"([\x21\x23-\x7e\x80-\xff]*)"\s*(?:,|$)/;

interface ParsedTag {
  weak: boolean;
  opaque: string;
}

// A version as a strong ETag.
export function entityTag(version: string): string {
  return `"${version}"`;
}

// If-Match as the versions a write expects: `*`, or the strong tags listed (a weak tag never
// matches under If-Match, RFC 9110 §13.1.1). Absent or blank: undefined, the write is
// unconditional. A malformed list keeps what parsed before the fault; an empty one matches nothing.
export function parseIfMatch(header: string | undefined): ExpectedVersions | undefined {
  if (header === undefined || header.trim() === '') return undefined;
  if (header.trim() === '*') return '*';
  return parseTags(header)
    .filter((tag) => !tag.weak)
    .map((tag) => tag.opaque);
}

// Whether a GET may answer 304: If-None-Match is `*` or names this version, compared weakly
// (RFC 9110 §13.1.2).
export function isNotModified(header: string | undefined, version: string): boolean {
  if (header === undefined) return false;
  if (header.trim() === '*') return true;
  return parseTags(header).some((tag) => tag.opaque === version);
}

function parseTags(header: string): ParsedTag[] {
  const tags: ParsedTag[] = [];
  let rest = header;
  for (let match = ENTITY_TAG.exec(rest); match; match = ENTITY_TAG.exec(rest)) {
    tags.push({ weak: match[1] !== undefined, opaque: match[2] });
    rest = rest.slice(match[0].length);
  }
  return tags;
}

// The request's If-Match, parsed: a controller hands it to the service as plain data.
export const IfMatch = createParamDecorator((_: unknown, context: ExecutionContext): ExpectedVersions | undefined =>
  parseIfMatch(context.switchToHttp().getRequest<FastifyRequest>().headers['if-match']),
);
