import { setTimeout as delay } from 'node:timers/promises';
import { ReceivedEvent } from '../../support/pusher-server';
import { withClient } from '../../support/test-database';

interface OutboxRow {
  id: number;
  tenant_id: number;
  payload: { event: string; channels: string[]; data: unknown };
  delivered_at: Date | null;
  attempts: number;
}

// Live updates in the outbox compared with what the fake Pusher accepted: each row's event on each
// of its channels, by its name, channel and data.
export interface DeliveryCheck {
  rows: number;
  undelivered: number;
  // Events of rows the outbox marks delivered that Pusher never got.
  missing: string[];
  // Events Pusher got more often than the outbox holds them.
  duplicates: string[];
  // Of those, each one's key (see claimedEvents).
  duplicateKeys: string[];
  // Rows Pusher got before an earlier row of their conversation (a repeat of a row already received aside).
  outOfOrder: string[];
}

// Waits (up to `timeoutMs`) for every live update written after `afterId` to be delivered, then compares.
export async function checkDeliveries(databaseUrl: string, events: readonly ReceivedEvent[], afterId: number, timeoutMs: number): Promise<DeliveryCheck> {
  return withClient(databaseUrl, async (db) => {
    const read = async () =>
      (await db.query<OutboxRow>(`SELECT id, tenant_id, payload, delivered_at, attempts FROM outbox WHERE topic = 'pusher' AND id > $1 ORDER BY id`, [afterId])).rows;
    const deadline = Date.now() + timeoutMs;
    let rows = await read();
    while (rows.some((r) => r.delivered_at === null) && Date.now() < deadline) {
      await delay(500);
      rows = await read();
    }
    const expected = new Map<string, number>();
    for (const row of rows.filter((r) => r.delivered_at !== null)) {
      for (const channel of row.payload.channels) {
        const key = eventKey(row.payload.event, channel, row.payload.data);
        expected.set(key, (expected.get(key) ?? 0) + 1);
      }
    }
    const received = new Map<string, number>();
    for (const event of events) {
      for (const channel of event.channels) {
        const key = eventKey(event.name, channel, event.data);
        received.set(key, (received.get(key) ?? 0) + 1);
      }
    }
    const check: DeliveryCheck = {
      rows: rows.length,
      undelivered: rows.filter((r) => r.delivered_at === null).length,
      missing: [],
      duplicates: [],
      duplicateKeys: [],
      outOfOrder: outOfOrder(rows, events),
    };
    for (const [key, count] of expected) {
      const got = received.get(key) ?? 0;
      if (got < count) check.missing.push(`${key.slice(0, 120)}: expected ${count}, got ${got}`);
      if (got > count) {
        check.duplicates.push(`${key.slice(0, 120)}: expected ${count}, got ${got}`);
        check.duplicateKeys.push(key);
      }
    }
    return check;
  });
}

// Each received event matched to the lowest row of its key not yet matched (none left: a repeat,
// skipped), in the order Pusher got them: the rows of one conversation (or ticket) must come in id
// order, which for one conversation is the order its changes committed (each writer locks the
// conversation first). Rows of different conversations may cross: a transaction that took its id
// first may commit last.
function outOfOrder(rows: readonly OutboxRow[], events: readonly ReceivedEvent[]): string[] {
  const byKey = new Map<string, OutboxRow[]>();
  for (const row of rows) {
    for (const channel of row.payload.channels) {
      const key = eventKey(row.payload.event, channel, row.payload.data);
      byKey.set(key, [...(byKey.get(key) ?? []), row]);
    }
  }
  const last = new Map<string, number>();
  const problems: string[] = [];
  for (const event of events) {
    for (const channel of event.channels) {
      const row = byKey.get(eventKey(event.name, channel, event.data))?.shift();
      const subject = row && subjectOf(row.tenant_id, row.payload.event, channel, row.payload.data);
      if (!row || !subject) continue;
      const previous = last.get(subject) ?? 0;
      if (row.id < previous) problems.push(`${subject}: row ${row.id} (${row.payload.event}) received after row ${previous}`);
      last.set(subject, Math.max(previous, row.id));
    }
  }
  return problems;
}

// The conversation (or ticket) a row reports, on the channel it went to.
function subjectOf(tenantId: number, event: string, channel: string, data: unknown): string | null {
  const fields = (data ?? {}) as { id?: unknown; conversationId?: unknown };
  if (channel.startsWith('private-conversation-')) return `${channel} (tenant ${tenantId})`;
  if (fields.conversationId !== undefined && fields.conversationId !== null) return `conversation ${String(fields.conversationId)} on ${channel}`;
  if (event.startsWith('conversation.') && fields.id !== undefined) return `conversation ${String(fields.id)} on ${channel}`;
  if (event.startsWith('ticket.') && fields.id !== undefined) return `ticket ${String(fields.id)} on ${channel}`;
  return null;
}

// The events of rows a process holds claimed (leased, attempted, not recorded delivered): what a
// process killed now may have sent without recording it.
export async function claimedEvents(databaseUrl: string): Promise<Set<string>> {
  return withClient(databaseUrl, async (db) => {
    const { rows } = await db.query<OutboxRow>(
      `SELECT id, payload, delivered_at, attempts FROM outbox
        WHERE topic = 'pusher' AND delivered_at IS NULL AND attempts > 0 AND available_at > now()`,
    );
    return new Set(rows.flatMap((row) => row.payload.channels.map((channel) => eventKey(row.payload.event, channel, row.payload.data))));
  });
}

export async function lastOutboxId(databaseUrl: string): Promise<number> {
  return withClient(databaseUrl, async (db) => Number((await db.query(`SELECT coalesce(max(id), 0) AS id FROM outbox`)).rows[0].id));
}

function eventKey(name: string, channel: string, data: unknown): string {
  return `${name} ${channel} ${canonical(data)}`;
}

// JSON with object keys sorted: jsonb does not keep the order the service wrote them in.
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}
