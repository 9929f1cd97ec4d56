import { createHash, timingSafeEqual } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { AppConfig } from '@app/config';
import { Database } from '@app/database';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Pool } from 'pg';

export type RateLimitDialect = 'desk' | 'highlevel';
// What a limit counts by.
export type RateLimitScope = 'api_key' | 'tenant';
// A webhook event's kind as classified (`other` for events this service does not act on), and
// what became of it: a message created or a state change applied now, stored before, or ignored.
export type WebhookEventKind = 'message' | 'client' | 'member' | 'occupancy' | 'other';
export type WebhookEventOutcome = 'created' | 'applied' | 'duplicate' | 'ignored' | 'conflict';

export const METRICS_PATH = '/metrics';
// Every series' name starts with it, those other modules register here included.
export const METRICS_PREFIX = 'helpdesk_';

interface RequestSeries {
  count: Counter.Internal;
  duration: Histogram.Internal<string>;
}

// The service's Prometheus metrics, in a registry of this app instance's own (several apps in one
// process, as in the tests, must not share series). Counted where things happen; the pool is read
// when scraped. Other modules add their own series to the registry (the live layer: the outbox).
@Injectable()
export class MetricsService {
  readonly registry = new Registry();
  private readonly tokenHash?: Buffer;
  private readonly requests: Counter<string>;
  private readonly durations: Histogram<string>;
  // One child per method, route and status: the per-request hook then costs one Map lookup
  // instead of prom-client hashing a label object.
  private readonly requestSeries = new Map<string, RequestSeries>();
  private readonly webhookEvents: Counter<string>;
  private readonly rateLimitRejections: Counter<string>;

  constructor(
    @Inject(AppConfig) config: AppConfig,
    private readonly db: Database,
  ) {
    if (config.METRICS_TOKEN) this.tokenHash = sha256(config.METRICS_TOKEN);
    // Process metrics sample the event loop all the time: only when someone can scrape them.
    if (this.enabled) collectDefaultMetrics({ register: this.registry, prefix: METRICS_PREFIX });
    [this.requests, this.durations] = this.httpSeries();
    [this.webhookEvents, this.rateLimitRejections] = this.eventCounters();
    this.poolGauges();
  }

  private httpSeries(): [Counter<string>, Histogram<string>] {
    const registers = [this.registry];
    const requests = new Counter({
      name: `${METRICS_PREFIX}http_requests_total`,
      help: 'HTTP requests answered, by method, route pattern and status',
      labelNames: ['method', 'route', 'status'],
      registers,
    });
    const durations = new Histogram({
      name: `${METRICS_PREFIX}http_request_duration_seconds`,
      help: 'Time from a request arriving to its answer being sent, by method, route pattern and status',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    });
    return [requests, durations];
  }

  private eventCounters(): [Counter<string>, Counter<string>] {
    const registers = [this.registry];
    const webhookEvents = new Counter({
      name: `${METRICS_PREFIX}webhook_events_total`,
      help: "Pusher webhook events received, by kind and outcome (created, applied, duplicate, ignored, conflict)",
      labelNames: ['kind', 'outcome'],
      registers,
    });
    const rateLimitRejections = new Counter({
      name: `${METRICS_PREFIX}rate_limit_rejections_total`,
      help: 'Requests refused with a 429, by dialect and by what the limit counts (api_key, tenant)',
      labelNames: ['dialect', 'scope'],
      registers,
    });
    for (const [dialect, scope] of [['desk', 'api_key'], ['desk', 'tenant'], ['highlevel', 'tenant']]) {
      rateLimitRejections.inc({ dialect, scope }, 0);
    }
    return [webhookEvents, rateLimitRejections];
  }

  private poolGauges(): void {
    const registers = [this.registry];
    const pool = new Gauge({
      name: `${METRICS_PREFIX}db_pool_connections`,
      help: 'Database pool connections, by state (in_use, idle)',
      labelNames: ['state'],
      registers,
      collect: () => {
        const stats = this.pool();
        if (!stats) return;
        pool.set({ state: 'in_use' }, stats.totalCount - stats.idleCount);
        pool.set({ state: 'idle' }, stats.idleCount);
      },
    });
    const waiting = new Gauge({
      name: `${METRICS_PREFIX}db_pool_waiting`,
      help: 'Requests for a database pool connection not yet served (new connections being opened included)',
      registers,
      collect: () => {
        const stats = this.pool();
        if (stats) waiting.set(stats.waitingCount);
      },
    });
  }

  get enabled(): boolean {
    return this.tokenHash !== undefined;
  }

  // `Authorization: Bearer <METRICS_TOKEN>`, compared in constant time (of the hashes, so the
  // token's length does not show either).
  authorized(authorization: string | undefined): boolean {
    if (!this.tokenHash || !authorization?.startsWith('Bearer ')) return false;
    return timingSafeEqual(sha256(authorization.slice('Bearer '.length)), this.tokenHash);
  }

  // Counts and times every answer, by the route's pattern (never the URL, which holds ids); no
  // hook at all when metrics are off.
  instrument(fastify: FastifyInstance): void {
    if (!this.enabled) return;
    fastify.addHook('onResponse', (request: FastifyRequest, reply: FastifyReply, done: () => void) => {
      const route = request.routeOptions.url ?? 'unmatched';
      if (route !== METRICS_PATH) {
        const series = this.seriesFor(request.method, route, reply.statusCode);
        series.count.inc();
        series.duration.observe(reply.elapsedTime / 1000);
      }
      done();
    });
  }

  webhookEvent(kind: WebhookEventKind, outcome: WebhookEventOutcome, count = 1): void {
    this.webhookEvents.inc({ kind, outcome }, count);
  }

  // For the limiters: one call per request refused with a 429.
  rateLimitRejected(dialect: RateLimitDialect, scope: RateLimitScope): void {
    this.rateLimitRejections.inc({ dialect, scope });
  }

  scrape(): Promise<string> {
    return this.registry.metrics();
  }

  private seriesFor(method: string, route: string, status: number): RequestSeries {
    const key = `${method} ${status} ${route}`;
    let series = this.requestSeries.get(key);
    if (!series) {
      const labels = { method, route, status: String(status) };
      series = { count: this.requests.labels(labels), duration: this.durations.labels(labels) };
      this.requestSeries.set(key, series);
    }
    return series;
  }

  // TypeORM's postgres driver keeps its pg Pool as `master` (absent before it connects).
  private pool(): Pick<Pool, 'totalCount' | 'idleCount' | 'waitingCount'> | undefined {
    return (this.db.dataSource.driver as { master?: Pool }).master;
  }
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}
