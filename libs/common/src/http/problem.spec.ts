import { ServiceUnavailableException } from '@nestjs/common';
import { QueryFailedError, QueryRunnerAlreadyReleasedError, QueryRunnerProviderAlreadyReleasedError } from 'typeorm';
import { DATABASE_RETRY_AFTER_SECONDS, toProblem } from './problem';

describe(toProblem.name, () => {
  it('should answer a deadlock or serialisation victim with a 409 to retry, not a 500', () => {
    for (const code of ['40P01', '40001']) {
      const error = new QueryFailedError('UPDATE …', [], Object.assign(new Error('deadlock detected'), { code }));
      expect(toProblem(error)).toMatchObject({ status: 409, code: 'CONCURRENT_UPDATE' });
    }
  });

  it('should leave other database errors unexpected', () => {
    const error = new QueryFailedError('SELECT …', [], Object.assign(new Error('boom'), { code: '42P01' }));
    expect(toProblem(error)).toBeNull();
  });

  it('should answer a database that is down, restarting or out of connections with a 503 to retry, not a 500', () => {
    const pgError = (message: string, code?: string) => Object.assign(new Error(message), code ? { code } : {});
    const cases: unknown[] = [
      // connect() refused: the server is down.
      Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED', syscall: 'connect' }),
      new AggregateError([Object.assign(new Error('connect ECONNREFUSED ::1:5432'), { code: 'ECONNREFUSED' })], ''),
      // The server went away under a query.
      new QueryFailedError('SELECT …', [], pgError('Connection terminated unexpectedly')),
      new QueryFailedError('SELECT …', [], pgError('terminating connection due to administrator command', '57P01')),
      new QueryFailedError('SELECT …', [], pgError('the database system is starting up', '57P03')),
      new QueryFailedError('SELECT …', [], pgError('sorry, too many clients already', '53300')),
      new QueryFailedError('SELECT …', [], pgError('connection failure', '08006')),
      // A transaction's next query after its connection died (TypeORM released the runner).
      new QueryRunnerAlreadyReleasedError(),
      new QueryRunnerProviderAlreadyReleasedError(),
      // No pooled connection freed up in time.
      new Error('timeout exceeded when trying to connect'),
      Object.assign(new Error('wrapped'), { cause: pgError('Connection terminated due to connection timeout') }),
    ];
    for (const error of cases) {
      expect(toProblem(error)).toEqual({
        status: 503,
        code: 'DATABASE_UNAVAILABLE',
        message: 'the database is unavailable; retry later',
        retryAfterSeconds: DATABASE_RETRY_AFTER_SECONDS,
      });
    }
  });

  it('should answer a failed readiness check with its 503', () => {
    expect(toProblem(new ServiceUnavailableException())).toMatchObject({ status: 503, code: 'SERVICE_UNAVAILABLE' });
  });

  it('should leave a query the database refused for what it asked unexpected', () => {
    const error = new QueryFailedError('SELECT …', [], Object.assign(new Error('syntax error'), { code: '42601' }));
    expect(toProblem(error)).toBeNull();
  });
});
