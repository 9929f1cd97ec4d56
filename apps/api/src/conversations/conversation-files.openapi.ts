import type { SchemaObject } from '@nestjs/swagger/dist/interfaces/open-api-spec.interface';

// A file as the customer sees it, as presentCustomerFile() writes it: no hash, storage or uploader.
export const CUSTOMER_FILE_SCHEMA: SchemaObject = {
  type: 'object',
  required: ['id', 'filename', 'mimeType', 'size', 'createdAt'],
  additionalProperties: false,
  properties: {
    id: { type: 'integer', description: 'Name it in `files` of a message to this conversation' },
    filename: { type: 'string', maxLength: 255, description: 'The name sent, without any path or control characters' },
    mimeType: { type: 'string', example: 'image/png', description: 'As sent, when a valid type/subtype; else application/octet-stream' },
    size: { type: 'integer', description: 'Bytes' },
    createdAt: { type: 'string', format: 'date-time' },
  },
};

export const CUSTOMER_FILE_ENVELOPE_SCHEMA: SchemaObject = { type: 'object', properties: { file: CUSTOMER_FILE_SCHEMA } };
