import { InvalidConfigError, loadAppConfig } from './app-config';

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
});
