import { QueryFailedError } from 'typeorm';
import { RequestDeadline } from './request-deadline';
import { retryPauseMs, TRANSACTION_ATTEMPTS } from './transaction-retry';

const failure = (code: string) => new QueryFailedError('SELECT 1', [], Object.assign(new Error(code), { code }));
const half = () => 0.5;

describe(retryPauseMs.name, () => {
  it('should retry deadlocks and serialization failures with a doubling pause until the attempts are used up', () => {
    expect(retryPauseMs(failure('40P01'), 1, undefined, half)).toBe(20);
    expect(retryPauseMs(failure('40001'), 2, undefined, half)).toBe(40);
    expect(retryPauseMs(failure('40P01'), TRANSACTION_ATTEMPTS, undefined, half)).toBeNull();
  });

  it('should jitter the pause by half either way', () => {
    expect(retryPauseMs(failure('40P01'), 1, undefined, () => 0)).toBe(10);
    expect(retryPauseMs(failure('40P01'), 1, undefined, () => 0.999)).toBe(30);
  });

  it('should not retry any other failure', () => {
    for (const error of [failure('23505'), failure('57014'), new Error('40P01'), undefined]) expect(retryPauseMs(error, 1, undefined, half)).toBeNull();
  });

  it('should not retry past the request deadline, nor once the request has committed something', () => {
    expect(retryPauseMs(failure('40P01'), 1, new RequestDeadline(Date.now() + 10_000), half)).toBe(20);
    expect(retryPauseMs(failure('40P01'), 1, new RequestDeadline(Date.now() + 5), half)).toBeNull();
    const committed = new RequestDeadline(Date.now() + 10_000);
    committed.beginCommit();
    expect(retryPauseMs(failure('40P01'), 1, committed, half)).toBeNull();
  });
});
