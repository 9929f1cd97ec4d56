import { wire } from '@app/common';
import { CUSTOMER_FILE_SCHEMA } from '../customer-view/customer-view.openapi';

export const CUSTOMER_FILE_ENVELOPE_SCHEMA = wire.object({ file: CUSTOMER_FILE_SCHEMA });
