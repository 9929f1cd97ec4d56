import type { SchemaObject } from '@nestjs/swagger/dist/interfaces/open-api-spec.interface';
import { CUSTOMER_FILE_SCHEMA } from '../customer-view/customer-view.openapi';

export const CUSTOMER_FILE_ENVELOPE_SCHEMA: SchemaObject = { type: 'object', properties: { file: CUSTOMER_FILE_SCHEMA } };
