import { ResourceDefinition } from '../http/resource';
import { presentCustomerFile } from './customer-file.presenter';
import { presentFile } from './file.presenter';
import { StoredFile } from './stored-file.entity';

export const FILE: ResourceDefinition<StoredFile> = { name: 'file', present: (file) => presentFile(file) };

// A file as the customer who uploaded it by their conversation's token sees it.
export const CUSTOMER_FILE: ResourceDefinition<StoredFile> = { name: 'file', present: (file) => presentCustomerFile(file) };
