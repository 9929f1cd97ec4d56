import { Injectable } from '@nestjs/common';

// What a module above auth does, in the deactivation's transaction, when an agent is deactivated:
// it runs `deactivate` (the agent's row) itself, so it may lock its own rows first (the lock order
// puts conversations before agents' rows, docs/architecture.md "Who locks what").
export type DeactivationStep = (tenantId: number, userId: number, deactivate: () => Promise<void>) => Promise<void>;

// The steps other modules register at start-up (the conversation core takes the agent's
// conversations off them): auth imports none of the features built on it.
@Injectable()
export class AgentDeactivation {
  private readonly steps: DeactivationStep[] = [];

  register(step: DeactivationStep): void {
    this.steps.push(step);
  }

  // `deactivate` wrapped in every registered step, the first registered outermost.
  async run(tenantId: number, userId: number, deactivate: () => Promise<void>): Promise<void> {
    const wrapped = this.steps.reduceRight<() => Promise<void>>((inner, step) => () => step(tenantId, userId, inner), deactivate);
    await wrapped();
  }
}
