import { Injectable } from '@nestjs/common';
import { Principal } from '../../auth/principal';
import { QueueCounts, QueueCountsRepository } from './queue-counts.repository';

@Injectable()
export class QueueCountsService {
  constructor(private readonly counts: QueueCountsRepository) {}

  // The caller's queues, as one snapshot (one statement).
  async countsFor(principal: Principal): Promise<QueueCounts> {
    return this.counts.countsFor(principal.tenantId, principal.userId);
  }
}
