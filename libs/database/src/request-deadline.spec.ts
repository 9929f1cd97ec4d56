import { RequestDeadline } from './request-deadline';

describe(RequestDeadline.name, () => {
  const deadline = () => new RequestDeadline(Date.now() + 1000);

  it('should let the deadline answer only while nothing has begun to commit, and then refuse every commit', () => {
    const timedOut = deadline();
    expect(timedOut.expire()).toBe(true);
    expect(timedOut.expired).toBe(true);
    expect(timedOut.beginCommit()).toBe(false);
    expect(timedOut.expire()).toBe(false);
    timedOut.finish();
    expect(timedOut.expired).toBe(true);
  });

  it('should not let the deadline answer once a transaction has begun to commit, nor hold later ones to it', () => {
    const committing = deadline();
    expect(committing.beginCommit()).toBe(true);
    expect(committing.running).toBe(false);
    expect(committing.expire()).toBe(false);
    expect(committing.expired).toBe(false);
    expect(committing.beginCommit()).toBe(true);
  });

  it('should release work left behind by a request answered in time', () => {
    const answered = deadline();
    answered.finish();
    expect(answered.running).toBe(false);
    expect(answered.expire()).toBe(false);
    expect(answered.beginCommit()).toBe(true);
  });

  it('should count the time left down to 0', () => {
    expect(new RequestDeadline(Date.now() + 5000).remainingMs).toBeGreaterThan(4900);
    expect(new RequestDeadline(Date.now() - 5).remainingMs).toBe(0);
  });
});
