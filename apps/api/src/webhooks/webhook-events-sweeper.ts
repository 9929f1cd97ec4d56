import { Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { AppConfig } from '@app/config';
import { Database } from '@app/database';

const HOUR_MS = 60 * 60 * 1000;
const CHUNK = 5_000;

// Deletes stored webhook events past their retention. A replay of one is refused by its time_ms
// long before (the retry window), and a message's own clientMessageId keeps it unique after, so
// the retention never drops below the window plus an hour, whatever is configured.
@Injectable()
export class WebhookEventsSweeper implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(WebhookEventsSweeper.name);
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly db: Database,
    private readonly config: AppConfig,
  ) {}

  get retentionMs(): number {
    return Math.max(this.config.PUSHER_WEBHOOK_RETENTION_HOURS * HOUR_MS, this.config.PUSHER_WEBHOOK_MAX_AGE_SECONDS * 1000 + HOUR_MS);
  }

  onModuleInit(): void {
    this.timer = setInterval(() => void this.sweep().catch((error: Error) => this.logger.warn(`sweeping webhook events failed: ${error.message}`)), HOUR_MS);
    this.timer.unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.timer);
  }

  // In chunks, so no statement holds many rows at once. Returns how many it deleted.
  async sweep(now = Date.now()): Promise<number> {
    const before = new Date(now - this.retentionMs);
    let deleted = 0;
    for (;;) {
      const [, count]: [unknown, number] = await this.db.query(
        `DELETE FROM webhook_events WHERE id IN (SELECT id FROM webhook_events WHERE received_at < $1 ORDER BY received_at LIMIT ${CHUNK})`,
        [before],
      );
      deleted += count;
      if (count < CHUNK) return deleted;
    }
  }
}
