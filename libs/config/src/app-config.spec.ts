import { InvalidConfigError, loadAppConfig, trustedProxy } from './app-config';

describe(loadAppConfig.name, () => {
  it('should apply defaults and convert types', () => {
    const config = loadAppConfig({ PORT: '8080', MIGRATIONS_RUN: 'false', PUSHER_PORT: '6001' });
    expect(config).toMatchObject({ PORT: 8080, HOST: '127.0.0.1', MIGRATIONS_RUN: false, LOG_LEVEL: 'info', PUSHER_PORT: 6001 });
    expect(config.DATABASE_URL).toBeUndefined();
  });

  it('should list every invalid variable at once', () => {
    expect(() => loadAppConfig({ PORT: 'eighty', DATABASE_URL: 'mysql://x', LOG_LEVEL: 'loud' })).toThrow(InvalidConfigError);
    try {
      loadAppConfig({ PORT: 'eighty', DATABASE_URL: 'mysql://x', LOG_LEVEL: 'loud' });
    } catch (error) {
      const message = (error as Error).message;
      expect(message).toContain('PORT');
      expect(message).toContain('DATABASE_URL must be a postgres:// URL');
      expect(message).toContain('LOG_LEVEL');
    }
  });

  it('should accept rotation pairs of Pusher credentials and refuse malformed ones', () => {
    expect(loadAppConfig({ PUSHER_ADDITIONAL_CREDENTIALS: 'k1:s1,k2:s2' }).PUSHER_ADDITIONAL_CREDENTIALS).toBe('k1:s1,k2:s2');
    expect(() => loadAppConfig({ PUSHER_ADDITIONAL_CREDENTIALS: 'k1' })).toThrow(/key:secret pairs/);
  });

  it('should take a metrics token of 16 characters or more, and never echo one it refuses', () => {
    expect(loadAppConfig({ METRICS_TOKEN: 'a-long-enough-token' }).METRICS_TOKEN).toBe('a-long-enough-token');
    expect(loadAppConfig({ METRICS_TOKEN: '' }).METRICS_TOKEN).toBeUndefined();
    expect(() => loadAppConfig({ METRICS_TOKEN: 'short-tok3n' })).toThrow(/^(?![\s\S]*short-tok3n)[\s\S]*METRICS_TOKEN must be at least 16 characters/);
  });

  it('should take CORS origins as exact origins separated by commas, and refuse paths or wildcards', () => {
    expect(loadAppConfig({ CORS_ORIGINS: 'https://desk.example.com, http://127.0.0.1:5173' }).CORS_ORIGINS).toBe('https://desk.example.com, http://127.0.0.1:5173');
    for (const bad of ['*', 'desk.example.com', 'https://desk.example.com/', 'https://desk.example.com/app', 'https://a.example.com;https://b.example.com']) {
      expect(() => loadAppConfig({ CORS_ORIGINS: bad })).toThrow(/CORS_ORIGINS must be origins/);
    }
  });

  it('should take a default phone region libphonenumber-js knows, in upper case, and nothing else', () => {
    expect(loadAppConfig({ DEFAULT_PHONE_REGION: 'GB' }).DEFAULT_PHONE_REGION).toBe('GB');
    expect(loadAppConfig({ DEFAULT_PHONE_REGION: '' }).DEFAULT_PHONE_REGION).toBeUndefined();
    for (const bad of ['gb', 'XX', 'GBR', 'UK']) {
      expect(() => loadAppConfig({ DEFAULT_PHONE_REGION: bad })).toThrow(/DEFAULT_PHONE_REGION must be an ISO 3166-1 alpha-2 region/);
    }
  });

  it('should refuse a Redis URL, key prefix or Desk rate limit it cannot use, naming the variable', () => {
    expect(loadAppConfig({ REDIS_URL: 'redis://127.0.0.1:6379', REDIS_KEY_PREFIX: 'acme:prod.1_' }).REDIS_KEY_PREFIX).toBe('acme:prod.1_');
    const bad: Record<string, string>[] = [
      { REDIS_URL: 'localhost:6379' },
      { REDIS_URL: 'http://x' },
      // Braces would make a Redis Cluster hash tag of part of every key.
      { REDIS_KEY_PREFIX: 'a{b}' },
      { REDIS_KEY_PREFIX: 'a'.repeat(65) },
      { DESK_RATE_LIMIT_PER_KEY: '0' },
      { DESK_RATE_LIMIT_PER_TENANT: 'many' },
      { DESK_RATE_LIMIT_WINDOW_MS: '999' },
    ];
    for (const env of bad) expect(() => loadAppConfig(env)).toThrow(new RegExp(Object.keys(env)[0]));
  });

  it('should take PUBLIC_BASE_URL as an absolute http(s) URL, and refuse anything else', () => {
    expect(loadAppConfig({ PUBLIC_BASE_URL: 'https://desk.example.com/help' }).PUBLIC_BASE_URL).toBe('https://desk.example.com/help');
    expect(loadAppConfig({ PUBLIC_BASE_URL: '' }).PUBLIC_BASE_URL).toBeUndefined();
    for (const bad of ['desk.example.com', '/help', 'ftp://desk.example.com', 'https://desk.example.com/?a=1', 'https://u:p@desk.example.com', 'https://[::1']) {
      expect(() => loadAppConfig({ PUBLIC_BASE_URL: bad })).toThrow(/PUBLIC_BASE_URL must be an http\(s\) URL/);
    }
  });
});

describe(trustedProxy.name, () => {
  it('should trust nobody by default, everybody on true, and only the addresses and ranges listed', () => {
    expect(trustedProxy(loadAppConfig({}))('127.0.0.1')).toBe(false);
    expect(trustedProxy(loadAppConfig({ TRUST_PROXY: 'true' }))('203.0.113.9')).toBe(true);
    const listed = trustedProxy(loadAppConfig({ TRUST_PROXY: '10.0.0.0/8, 192.0.2.7,fd00::/8' }));
    expect(['10.1.2.3', '::ffff:10.1.2.3', '192.0.2.7', 'fd00::1'].map(listed)).toEqual([true, true, true, true]);
    expect(['11.0.0.1', '192.0.2.8', '::1', 'fe80::1', undefined].map(listed)).toEqual([false, false, false, false, false]);
  });

  it('should refuse a TRUST_PROXY that is not true, false or addresses and ranges', () => {
    for (const bad of ['yes', '10.0.0.0/33', 'proxy.internal', '10.0.0.1,', '::1/129', '10.0.0.0/8/1']) {
      expect(() => loadAppConfig({ TRUST_PROXY: bad })).toThrow(/TRUST_PROXY must be true, false, or IP addresses/);
    }
  });
});
