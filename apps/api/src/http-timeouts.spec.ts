import { createServer } from 'node:http';
import { loadAppConfig } from '@app/config';
import { slowClientOptions } from './http-timeouts';

describe(slowClientOptions.name, () => {
  it('should give production defaults: 10 s for headers, 120 s for the whole request, 72 s keep-alive, checked each second', () => {
    const config = loadAppConfig({});
    expect([config.HTTP_REQUEST_TIMEOUT_MS, config.FILTER_MAX_DEPTH, config.FILTER_MAX_CLAUSES]).toEqual([15_000, 5, 50]);
    expect(slowClientOptions(config)).toEqual({
      http: { headersTimeout: 10_000, requestTimeout: 120_000, connectionsCheckingInterval: 1000 },
      requestTimeout: 120_000,
      keepAliveTimeout: 72_000,
    });
  });

  it('should keep the headers timeout within the whole request’s, which Node requires', () => {
    const { http } = slowClientOptions(loadAppConfig({ HTTP_HEADERS_TIMEOUT_MS: '5000', HTTP_BODY_TIMEOUT_MS: '2000' }));
    expect(http).toEqual({ headersTimeout: 2000, requestTimeout: 2000, connectionsCheckingInterval: 500 });
    expect(() => createServer(http).close()).not.toThrow();
  });

  it('should refuse timeouts out of range at boot', () => {
    expect(() => loadAppConfig({ HTTP_REQUEST_TIMEOUT_MS: '0' })).toThrow(/HTTP_REQUEST_TIMEOUT_MS/);
    expect(() => loadAppConfig({ HTTP_HEADERS_TIMEOUT_MS: 'soon' })).toThrow(/HTTP_HEADERS_TIMEOUT_MS/);
    expect(() => loadAppConfig({ FILTER_MAX_DEPTH: '0' })).toThrow(/FILTER_MAX_DEPTH/);
  });
});
