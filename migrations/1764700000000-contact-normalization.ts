import { Logger } from '@nestjs/common';
import { MigrationInterface, QueryRunner } from 'typeorm';
// The rule the service applies to every value it stores, so rows and requests agree.
import { isPhoneRegion, normalizeContactValue, PHONE_CONTACT_TYPES, PhoneRegion } from '../apps/api/src/contacts/contact-normalization';

const BATCH = 5000;
const MIRRORED = ['email', 'phone', 'mobile'] as const;

interface ContactRow {
  tenant_id: number;
  id: number;
  type: string;
  value: string;
}

interface CustomerRow {
  tenant_id: number;
  id: number;
  email: string | null;
  phone: string | null;
  mobile: string | null;
}

interface Duplicate {
  tenant_id: number;
  type: string;
  value: string;
  customer_ids: number[];
  contact_ids: number[];
  kept: number[];
}

// Contacts compared in normal form (see the contacts module): every existing value, in
// customer_contacts and in the customers' email/phone/mobile mirrors, is put in that form, and
// tenants get `default_phone_region`.
//
// Look-alikes that existed side by side (`uniq@ex.com` and `uniq\u200b@ex.com`) become duplicates:
// they are REPORTED (a warning per group: tenant, type, value, customers, contacts), never merged,
// as only a person can tell whether they are one customer. In each group one active contact takes
// the normal form (the one that already had it, else the oldest); the others keep their value, so
// uq_customer_contacts_value stays valid and the migration never fails on them. Phone numbers
// libphonenumber-js cannot read (a national number: existing tenants have no region yet, only
// DEFAULT_PHONE_REGION, read from the environment here as the service reads it from its
// configuration) keep their value untouched, and are listed in the report.
export class ContactNormalization1764700000000 implements MigrationInterface {
  name = 'ContactNormalization1764700000000';
  private readonly logger = new Logger(ContactNormalization1764700000000.name);

  async up(queryRunner: QueryRunner): Promise<void> {
    const run = (sql: string, params?: unknown[]) => queryRunner.query(sql, params);
    await run(`ALTER TABLE tenants ADD COLUMN default_phone_region text NULL`);
    await run(`ALTER TABLE tenants ADD CONSTRAINT ck_tenants_default_phone_region CHECK (default_phone_region ~ '^[A-Z]{2}$')`);

    const configured = process.env.DEFAULT_PHONE_REGION?.trim();
    const region = isPhoneRegion(configured) ? configured : null;
    await run(`CREATE TEMP TABLE contact_normal_forms (tenant_id bigint, id bigint, value text, PRIMARY KEY (tenant_id, id)) ON COMMIT DROP`);
    await run(`CREATE TEMP TABLE customer_normal_forms (tenant_id bigint, id bigint, email text, phone text, mobile text, PRIMARY KEY (tenant_id, id)) ON COMMIT DROP`);
    const unreadable = await this.computeContacts(queryRunner, region);
    await this.computeCustomers(queryRunner, region);

    const duplicates = await this.keepIndexValid(queryRunner);
    // Mirrors first: they are matched with their contact's value before it changes.
    for (const type of MIRRORED) await run(updateMirror(type));
    const [, changed] = (await run(
      `UPDATE customer_contacts cc SET value = n.value FROM contact_normal_forms n WHERE cc.tenant_id = n.tenant_id AND cc.id = n.id`,
    )) as [unknown, number];
    this.report(changed, duplicates, unreadable, region);
  }

  // Normalising loses the old forms, so they are not restored; only the region column goes.
  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE tenants DROP COLUMN default_phone_region`);
  }

  // The normal form of every contact whose value changes, into contact_normal_forms; returns the
  // phone numbers that cannot be read (left as they are).
  private async computeContacts(queryRunner: QueryRunner, region: PhoneRegion | null): Promise<ContactRow[]> {
    const unreadable: ContactRow[] = [];
    let after = [0, 0];
    for (;;) {
      const rows: ContactRow[] = await queryRunner.query(
        `SELECT tenant_id, id, type, value FROM customer_contacts WHERE (tenant_id, id) > ($1, $2) ORDER BY tenant_id, id LIMIT ${BATCH}`,
        after,
      );
      if (rows.length === 0) return unreadable;
      const changed: { row: ContactRow; value: string }[] = [];
      for (const row of rows) {
        const value = normalFormOf(row.type, row.value, region);
        // Another type whose normal form would be empty or too long keeps its value too, unreported.
        if (value === null) {
          if (PHONE_CONTACT_TYPES.includes(row.type)) unreadable.push(row);
        } else if (value !== row.value) changed.push({ row, value });
      }
      await queryRunner.query(
        `INSERT INTO contact_normal_forms SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::text[])`,
        [changed.map((c) => c.row.tenant_id), changed.map((c) => c.row.id), changed.map((c) => c.value)],
      );
      after = [rows[rows.length - 1].tenant_id, rows[rows.length - 1].id];
    }
  }

  // The customers' mirror columns that change, into customer_normal_forms (null: unchanged).
  private async computeCustomers(queryRunner: QueryRunner, region: PhoneRegion | null): Promise<void> {
    let after = [0, 0];
    for (;;) {
      const rows: CustomerRow[] = await queryRunner.query(
        `SELECT tenant_id, id, email, phone, mobile FROM customers
          WHERE (tenant_id, id) > ($1, $2) AND num_nonnulls(email, phone, mobile) > 0 ORDER BY tenant_id, id LIMIT ${BATCH}`,
        after,
      );
      if (rows.length === 0) return;
      const forms = rows.map((row) => MIRRORED.map((type) => changedForm(type, row[type], region)));
      const changed = rows.map((row, i) => ({ row, form: forms[i] })).filter(({ form }) => form.some((value) => value !== null));
      await queryRunner.query(
        `INSERT INTO customer_normal_forms SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::text[], $5::text[])`,
        [changed.map((c) => c.row.tenant_id), changed.map((c) => c.row.id), ...MIRRORED.map((_, t) => changed.map((c) => c.form[t]))],
      );
      after = [rows[rows.length - 1].tenant_id, rows[rows.length - 1].id];
    }
  }

  // Active contacts that would share a normal form: the groups, for the report, and all but one
  // of each group taken out of contact_normal_forms (they keep their value). A contact whose
  // normal form another active contact still holds under another form keeps its value too, so
  // that no row of the UPDATE meets the unique index before another has left.
  private async keepIndexValid(queryRunner: QueryRunner): Promise<Duplicate[]> {
    const active = `
      SELECT cc.tenant_id, cc.id, cc.customer_id, cc.type, cc.value AS old, lower(coalesce(n.value, cc.value)) AS key,
             n.value IS NOT NULL AS changes
        FROM customer_contacts cc LEFT JOIN contact_normal_forms n ON n.tenant_id = cc.tenant_id AND n.id = cc.id
       WHERE cc.state = 'active'`;
    const duplicates: Duplicate[] = await queryRunner.query(`
      WITH active AS (${active}),
      ranked AS (
        SELECT a.*, row_number() OVER (PARTITION BY tenant_id, type, key ORDER BY lower(old) = key DESC, id) AS rank,
               count(*) OVER (PARTITION BY tenant_id, type, key) AS size
          FROM active a
      ),
      held AS (
        SELECT r.tenant_id, r.id FROM ranked r
         WHERE r.changes AND (r.rank > 1 OR EXISTS (
           SELECT 1 FROM active o WHERE o.tenant_id = r.tenant_id AND o.type = r.type AND lower(o.old) = r.key AND o.id <> r.id))
      ),
      removed AS (
        DELETE FROM contact_normal_forms n USING held h WHERE n.tenant_id = h.tenant_id AND n.id = h.id RETURNING n.tenant_id, n.id
      )
      SELECT r.tenant_id, r.type, min(coalesce(n.value, r.old)) FILTER (WHERE r.rank = 1) AS value,
             array_agg(DISTINCT r.customer_id) AS customer_ids, array_agg(r.id ORDER BY r.id) AS contact_ids,
             coalesce(array_agg(r.id ORDER BY r.id) FILTER (WHERE h.id IS NOT NULL), '{}') AS kept
        FROM ranked r
        LEFT JOIN contact_normal_forms n ON n.tenant_id = r.tenant_id AND n.id = r.id
        LEFT JOIN held h ON h.tenant_id = r.tenant_id AND h.id = r.id
       WHERE r.size > 1
       GROUP BY r.tenant_id, r.type, r.key
       ORDER BY r.tenant_id, r.type, r.key`);
    return duplicates;
  }

  private report(changed: number, duplicates: Duplicate[], unreadable: ContactRow[], region: PhoneRegion | null): void {
    if (changed > 0) this.logger.log(`contact normalisation: ${changed} contact values put in normal form`);
    for (const d of duplicates) {
      const kept = d.kept.length > 0 ? `; contacts ${d.kept.join(', ')} keep their old value` : '';
      this.logger.warn(
        `duplicate contacts, not merged: tenant ${d.tenant_id}, ${d.type} ${visible(d.value)}: customers ${d.customer_ids.join(', ')} ` +
          `(contacts ${d.contact_ids.join(', ')})${kept}`,
      );
    }
    if (unreadable.length > 0) {
      const sample = unreadable.slice(0, 20).map((row) => `tenant ${row.tenant_id} contact ${row.id} ${visible(row.value)}`);
      this.logger.warn(
        `${unreadable.length} phone numbers could not be read${region ? ` (region ${region})` : ' (no DEFAULT_PHONE_REGION)'} and keep their value: ${sample.join('; ')}`,
      );
    }
  }
}

// The value to store, or null to leave the row as it is: a phone number that cannot be read, or a
// form outside ck_customer_contacts_value (nothing but invisibles; NFKC past 320 characters).
function normalFormOf(type: string, value: string, region: PhoneRegion | null): string | null {
  const normal = normalizeContactValue(type, value, region);
  return normal !== null && normal.length >= 1 && normal.length <= 320 ? normal : null;
}

function changedForm(type: string, value: string | null, region: PhoneRegion | null): string | null {
  if (value === null) return null;
  const normal = normalFormOf(type, value, region);
  return normal === value ? null : normal;
}

// A mirror takes its main contact's new value when it mirrors that contact (so a contact that
// keeps its value keeps its mirror), else its own normal form.
function updateMirror(type: (typeof MIRRORED)[number]): string {
  return `
    UPDATE customers c SET ${type} = coalesce(
      (SELECT coalesce(f.value, cc.value) FROM customer_contacts cc
         LEFT JOIN contact_normal_forms f ON f.tenant_id = cc.tenant_id AND f.id = cc.id
        WHERE cc.tenant_id = c.tenant_id AND cc.customer_id = c.id AND cc.type = '${type}'
          AND cc.is_main AND cc.state = 'active' AND cc.value = c.${type}),
      n.${type})
      FROM customer_normal_forms n
     WHERE n.tenant_id = c.tenant_id AND n.id = c.id AND n.${type} IS NOT NULL`;
}

// Invisible characters written out, so a log shows how two look-alikes differ.
function visible(value: string): string {
  return JSON.stringify(value).replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
