import { BeforeApplicationShutdown, Injectable, Logger } from '@nestjs/common';
import { Cron } from '@nestjs/schedule';
import { Database, runExclusively } from '@app/database';
import { RoutingRepository } from './routing.repository';
import { ROUTING_CHUNK, RoutingService } from './routing.service';

// This job's advisory lock (runExclusively): one process sweeps at a time, the others skip.
const SWEEP_LOCK_KEY = 4_815_162_347;

// Every 5 s, routes each routing team that has a queue and a member below capacity: what routing
// skipped because another transaction held the conversation, what a process killed mid-routing
// left, and what is beyond the chunk one call assigns. A chunk of one team per transaction, under
// the job's lock, so no transaction holds many teams or rows, and a request waits for one chunk at
// most.
@Injectable()
export class RoutingSweep implements BeforeApplicationShutdown {
  private readonly logger = new Logger(RoutingSweep.name);
  private stopping = false;

  constructor(
    private readonly db: Database,
    private readonly routingRows: RoutingRepository,
    private readonly routing: RoutingService,
  ) {}

  @Cron('*/5 * * * * *', { name: 'routing-sweep', unrefTimeout: true, waitForCompletion: true })
  async run(): Promise<void> {
    await this.sweep().catch((error: Error) => this.logger.warn(`routing sweep failed: ${error.message}`));
  }

  beforeApplicationShutdown(): void {
    this.stopping = true;
  }

  // Answers how many conversations it assigned; null when it stopped before the end because another
  // process (or run) held the lock, or at shutdown.
  async sweep(): Promise<number | null> {
    const teams = await runExclusively(this.db, SWEEP_LOCK_KEY, () => this.routingRows.teamsToSweep());
    if (teams === null) return null;
    let total = 0;
    for (const team of teams) {
      for (;;) {
        if (this.stopping) return null;
        const assigned = await runExclusively(this.db, SWEEP_LOCK_KEY, () => this.routing.routeTeams(team.tenantId, [team.id]));
        if (assigned === null) return null;
        total += assigned;
        if (assigned < ROUTING_CHUNK) break;
      }
    }
    return total;
  }
}
