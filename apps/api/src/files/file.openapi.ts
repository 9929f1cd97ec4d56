import { AUDIT_OPTIONAL, AUDIT_SCHEMA_PROPERTIES, wire, type Wire } from '@app/common';
import type { SchemaObject } from '@nestjs/swagger/dist/interfaces/open-api-spec.interface';

// An attachment's metadata, as presentFile() writes it.
export const FILE_SCHEMA = wire.object(
  {
    id: wire.integer(),
    filename: wire.string({ maxLength: 255, description: 'The name sent, without any path or control characters' }),
    mimeType: wire.string({ example: 'application/pdf', description: 'As sent, when a valid type/subtype; else application/octet-stream' }),
    size: wire.integer({ description: 'Bytes' }),
    sha256: wire.string({ pattern: '^[0-9a-f]{64}$' }),
    ...AUDIT_SCHEMA_PROPERTIES,
  },
  { optional: AUDIT_OPTIONAL },
);
export type FileWire = Wire<typeof FILE_SCHEMA>;

export const FILE_ENVELOPE_SCHEMA = wire.object({ file: FILE_SCHEMA });

export const FILE_UPLOAD_SCHEMA: SchemaObject = {
  type: 'object',
  required: ['file'],
  properties: { file: { type: 'string', format: 'binary', description: 'The one part; its filename and Content-Type are kept' } },
};

export const FILE_DOWNLOAD_SCHEMA: SchemaObject = { type: 'string', format: 'binary' };
