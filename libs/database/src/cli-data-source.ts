import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { buildDataSourceOptions } from './database-options';

// For the TypeORM CLI (npm run migration:*), which loads this file from dist/ after a build.
// Migrations take a session (their lock), so the direct URL when DATABASE_URL is a pooler's.
const url = process.env.DATABASE_DIRECT_URL || process.env.DATABASE_URL;
if (!url) throw new Error('DATABASE_URL must be set for the migration commands');

export default new DataSource({
  ...buildDataSourceOptions({ url, applicationName: 'helpdesk-migrations' }),
  entities: [join(__dirname, '../../../apps/**/*.entity.js')],
});
