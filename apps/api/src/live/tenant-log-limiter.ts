// At most one log line per tenant per interval: an unreachable Pusher fails every row of every
// tenant on every try, which would otherwise be a line per row and retry. The failures in between
// are counted, and the next line says how many there were.
export class TenantLogLimiter {
  private readonly lastLine = new Map<number, { at: number; skipped: number }>();

  constructor(
    private readonly intervalMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  // The number of the tenant's failures not logged since its last line, when this one is to be
  // logged; null when it is not (it is then counted).
  admit(tenantId: number): number | null {
    const now = this.now();
    const last = this.lastLine.get(tenantId);
    if (last && now - last.at < this.intervalMs) {
      last.skipped++;
      return null;
    }
    if (!last) this.forgetQuietTenants(now);
    this.lastLine.set(tenantId, { at: now, skipped: 0 });
    return last?.skipped ?? 0;
  }

  // Bounded by the tenants that failed within the interval, not by every tenant that ever did.
  private forgetQuietTenants(now: number): void {
    if (this.lastLine.size < 1_000) return;
    for (const [tenantId, last] of this.lastLine) if (now - last.at >= this.intervalMs) this.lastLine.delete(tenantId);
  }
}
