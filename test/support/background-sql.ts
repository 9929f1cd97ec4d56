// The statements the service's background loops run whenever their tick falls (the live-updates,
// webhook and email dispatchers, the webhooks' fan-out, the jobs' advisory locks): a test that
// counts one request's statements in the in-process app leaves these out.
const BACKGROUND = /\boutbox\b|\bwebhook_deliveries\b|\bwebhook_subscriptions\b|\bpg_(?:try_)?advisory(?:_xact)?_lock\b|^\s*(?:BEGIN|COMMIT|ROLLBACK)\b|START TRANSACTION/i;

export function requestStatements(statements: readonly unknown[]): string[] {
  return statements.map(String).filter((sql) => !BACKGROUND.test(sql));
}
