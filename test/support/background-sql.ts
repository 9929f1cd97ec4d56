// The statements the service's background loops run whenever their tick falls (the live-updates,
// webhook and email dispatchers, the webhooks' fan-out, the jobs' advisory locks, and the
// conversation jobs' own statements: the snooze wake-up every second, the routing sweep's team scan
// every 5 s, the status ledger's fold every 10 s): a test that counts one request's statements in
// the in-process app leaves these out.
const BACKGROUND = new RegExp(
  [
    String.raw`\boutbox\b`,
    String.raw`\bwebhook_deliveries\b`,
    String.raw`\bwebhook_subscriptions\b`,
    String.raw`\bpg_(?:try_)?advisory(?:_xact)?_lock\b`,
    String.raw`^\s*(?:BEGIN|COMMIT|ROLLBACK)\b`,
    'START TRANSACTION',
    String.raw`snoozed_until <= now\(\)`,
    String.raw`FROM teams t\s+WHERE t\.state = 'active' AND t\.assignment_mode <> 'manual'\s+AND EXISTS`,
    String.raw`DELETE FROM conversation_status_counts`,
  ].join('|'),
  'i',
);

export function requestStatements(statements: readonly unknown[]): string[] {
  return statements.map(String).filter((sql) => !BACKGROUND.test(sql));
}
