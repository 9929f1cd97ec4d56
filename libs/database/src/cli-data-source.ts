import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { buildDataSourceOptions } from './database-options';

// For the TypeORM CLI (npm run migration:*), which loads this file from dist/ after a build.
const url = process.env.DATABASE_URL;
if (!url) throw new Error('DATABASE_URL must be set for the migration commands');

export default new DataSource({
  ...buildDataSourceOptions({ url, applicationName: 'helpdesk-migrations' }),
  entities: [join(__dirname, '../../../apps/**/*.entity.js')],
});
