import { QueryFailedError } from 'typeorm';
import { toProblem } from './problem';

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
});
