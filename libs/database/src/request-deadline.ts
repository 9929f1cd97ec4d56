import { AsyncLocalStorage } from 'node:async_hooks';

// A request's time budget, shared by whoever answers when it runs out (the HTTP layer) and whoever
// commits (Database). JavaScript runs one callback at a time, so each state change below is atomic:
// - the deadline answers 503 only while nothing of the request has begun to commit, and from then
//   on no transaction of the request commits;
// - once a transaction has begun to commit, the deadline no longer answers, and the request ends
//   with its own answer, however late;
// - once the request has been answered in time, work it left behind (a timer it set, which carries
//   its context) is not held to its deadline.
export class RequestDeadline {
  private state: 'running' | 'committing' | 'expired' | 'finished' = 'running';

  constructor(readonly expiresAt: number) {}

  // Milliseconds left; 0 once past.
  get remainingMs(): number {
    return Math.max(0, this.expiresAt - Date.now());
  }

  get expired(): boolean {
    return this.state === 'expired';
  }

  // Whether statements should still be held to the deadline: nothing has been committed yet, so a
  // timeout can still roll back everything the request did.
  get running(): boolean {
    return this.state === 'running';
  }

  // The deadline's turn: true when the request may now be answered as timed out.
  expire(): boolean {
    if (this.state !== 'running') return false;
    this.state = 'expired';
    return true;
  }

  // The request has been answered by its handler.
  finish(): void {
    if (this.state === 'running') this.state = 'finished';
  }

  // A transaction's turn, right before its COMMIT: false when the deadline has answered already.
  beginCommit(): boolean {
    if (this.state === 'expired') return false;
    if (this.state === 'running') this.state = 'committing';
    return true;
  }
}

// Thrown when work is refused or cut short because its request's deadline passed: nothing of it
// was committed. The HTTP layer answers 503 (if the deadline has not answered already).
export class DeadlineExceededError extends Error {
  constructor() {
    super('the request took too long and was cancelled; nothing was written');
    this.name = DeadlineExceededError.name;
  }
}

const deadlines = new AsyncLocalStorage<RequestDeadline>();

export function runWithDeadline<T>(deadline: RequestDeadline, work: () => T): T {
  return deadlines.run(deadline, work);
}

// The deadline of the request this code runs for, if any (none in background jobs).
export function currentDeadline(): RequestDeadline | undefined {
  return deadlines.getStore();
}
