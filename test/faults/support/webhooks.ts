import { randomBytes } from 'node:crypto';
import { SecretBox } from '@app/common';
import { Webhook } from 'standardwebhooks';
import { withClient } from '../../support/test-database';
import { ReceivedWebhook } from '../../support/webhook-receiver';

// The webhook scenario's service environment: its receiver on loopback allowed, plain http, a short
// timeout so a hung receiver costs little, and one sealing key for the processes and the test.
export const WEBHOOK_SECRETS_KEY = `faults-secrets-key-${randomBytes(16).toString('hex')}`;
export const WEBHOOK_ENV = {
  SECRETS_KEY: WEBHOOK_SECRETS_KEY,
  WEBHOOK_ALLOWED_HOSTS: '127.0.0.1',
  WEBHOOK_ALLOW_HTTP: 'true',
  WEBHOOK_TIMEOUT_MS: '2000',
  WEBHOOK_DISPATCH_INTERVAL_MS: '100',
};

// A subscription to the tenant's message.created, written straight to its table.
export async function subscribe(databaseUrl: string, tenantId: number, url: string): Promise<{ id: number; secret: string }> {
  const secret = `whsec_${randomBytes(24).toString('base64')}`;
  const sealed = new SecretBox(WEBHOOK_SECRETS_KEY).seal(secret);
  const id = await withClient(databaseUrl, async (db) =>
    Number(
      (await db.query(`INSERT INTO webhook_subscriptions (tenant_id, url, events, secret_sealed) VALUES ($1, $2, '{message.created}', $3) RETURNING id`, [tenantId, url, sealed]))
        .rows[0].id,
    ),
  );
  return { id, secret };
}

export async function deliveryCounts(databaseUrl: string, subscriptionId: number): Promise<{ pending: number; delivered: number; failed: number }> {
  return withClient(databaseUrl, async (db) => {
    const { rows } = await db.query(
      `SELECT count(*) FILTER (WHERE status = 'pending')::int AS pending, count(*) FILTER (WHERE status = 'delivered')::int AS delivered,
              count(*) FILTER (WHERE status = 'failed')::int AS failed
         FROM webhook_deliveries WHERE subscription_id = $1`,
      [subscriptionId],
    );
    return rows[0];
  });
}

// How many deliveries the process with this pid holds claimed (its token carries the pid).
export async function claimedBy(databaseUrl: string, pid: number): Promise<number> {
  return withClient(databaseUrl, async (db) =>
    Number((await db.query(`SELECT count(*) FROM webhook_deliveries WHERE status = 'pending' AND claimed_by LIKE $1`, [`%:${pid}:%`])).rows[0].count),
  );
}

export interface WebhookOrderCheck {
  // Acknowledged messages never received (with a valid signature).
  missing: string[];
  // Conversations whose messages were first received out of the order they were written.
  outOfOrder: string[];
  badSignatures: number;
  // Receipts of a message already received (at least once: a retry after a lost answer).
  repeats: number;
}

// Each acknowledged message of `sent` (per conversation, in the order its writes were acknowledged,
// one after another) received at least once, verified as a receiver verifies it, and first
// received in that order.
export function checkWebhookOrder(received: readonly ReceivedWebhook[], secret: string, sent: ReadonlyMap<number, number[]>): WebhookOrderCheck {
  const firstSeen = new Map<number, number[]>();
  const seen = new Set<number>();
  let badSignatures = 0;
  let repeats = 0;
  for (const request of received) {
    let data: { id: number; conversationId: number };
    try {
      data = (new Webhook(secret).verify(request.body, request.headers) as { data: { id: number; conversationId: number } }).data;
    } catch {
      badSignatures++;
      continue;
    }
    if (seen.has(data.id)) {
      repeats++;
      continue;
    }
    seen.add(data.id);
    firstSeen.set(data.conversationId, [...(firstSeen.get(data.conversationId) ?? []), data.id]);
  }
  const missing: string[] = [];
  const outOfOrder: string[] = [];
  for (const [conversationId, ids] of sent) {
    for (const id of ids) if (!seen.has(id)) missing.push(`message ${id} of conversation ${conversationId}`);
    const order = (firstSeen.get(conversationId) ?? []).filter((id) => ids.includes(id));
    const expected = ids.filter((id) => seen.has(id));
    if (order.join(',') !== expected.join(',')) outOfOrder.push(`conversation ${conversationId}: received ${order.join(',')}, written ${expected.join(',')}`);
  }
  return { missing, outOfOrder, badSignatures, repeats };
}
