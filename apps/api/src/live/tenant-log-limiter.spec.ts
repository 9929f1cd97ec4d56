import { TenantLogLimiter } from './tenant-log-limiter';

describe(TenantLogLimiter.name, () => {
  it('should admit one line per tenant per interval, and count the failures it held back into the next', () => {
    let now = 1_000_000;
    const limiter = new TenantLogLimiter(60_000, () => now);

    expect(limiter.admit(1)).toBe(0);
    expect(limiter.admit(2)).toBe(0);
    now += 59_999;
    expect(limiter.admit(1)).toBeNull();
    expect(limiter.admit(1)).toBeNull();
    expect(limiter.admit(2)).toBeNull();
    now += 1;
    expect(limiter.admit(1)).toBe(2);
    expect(limiter.admit(1)).toBeNull();
    expect(limiter.admit(2)).toBe(1);
    now += 60_000;
    expect(limiter.admit(1)).toBe(1);
  });

  it('should forget, once it holds many, the tenants whose last line is an interval old, and only those', () => {
    let now = 0;
    const limiter = new TenantLogLimiter(60_000, () => now);
    for (let tenant = 1; tenant <= 999; tenant++) limiter.admit(tenant);
    now = 30_000;
    limiter.admit(1_000);
    expect(limiter.admit(1)).toBeNull();
    now = 60_000;
    // A new tenant with 1,000 remembered: tenants 1 to 999 are dropped (tenant 1's held-back
    // failure with it), tenant 1,000 is kept.
    expect(limiter.admit(1_001)).toBe(0);
    expect(limiter.admit(1)).toBe(0);
    expect(limiter.admit(1_000)).toBeNull();
  });
});
