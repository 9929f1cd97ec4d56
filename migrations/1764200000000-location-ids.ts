import { MigrationInterface, QueryRunner } from 'typeorm';

// HighLevel's dialect names a tenant by a public 20-character `locationId` (like tDtDnQdgm2LXpyiqYvZ6).
// It identifies, it does not authenticate (the API key does), so random() is random enough; the
// unique index catches the rare collision, which the insert then reports.
export class LocationIds1764200000000 implements MigrationInterface {
  name = 'LocationIds1764200000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const run = (sql: string) => queryRunner.query(sql);
    await run(`
      CREATE FUNCTION new_location_id() RETURNS text LANGUAGE sql VOLATILE AS $$
        SELECT string_agg(substr('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789', 1 + floor(random() * 62)::int, 1), '')
          FROM generate_series(1, 20)
      $$`);
    await run(`ALTER TABLE tenants ADD COLUMN location_id text NULL`);
    await run(`UPDATE tenants SET location_id = new_location_id()`);
    await run(`ALTER TABLE tenants ALTER COLUMN location_id SET DEFAULT new_location_id(), ALTER COLUMN location_id SET NOT NULL`);
    await run(`ALTER TABLE tenants ADD CONSTRAINT ck_tenants_location_id CHECK (location_id ~ '^[A-Za-z0-9]{20}$')`);
    await run(`CREATE UNIQUE INDEX uq_tenants_location_id ON tenants (location_id)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE tenants DROP COLUMN location_id`);
    await queryRunner.query(`DROP FUNCTION new_location_id()`);
  }
}
