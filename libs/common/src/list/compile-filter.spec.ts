import { compileFilter } from './compile-filter';
import { ListSpec } from './list-spec';
import { parseFilter } from './parse-filter';

const spec: ListSpec = {
  filterable: {
    id: { column: 't.id', type: 'integer' },
    createdAt: { column: 't.created_at', type: 'date' },
    state: { column: 't.state', type: 'string', values: ['active', 'deleted'] },
  },
  sortable: ['id'],
  defaultOrderBy: 'id',
  defaultOrderMode: 'asc',
  includes: [],
  fields: ['id'],
  stateField: 'state',
  tieBreaker: 't.id',
};

const compile = (filter: unknown) => {
  const parsed = parseFilter(JSON.stringify(filter), spec);
  expect(parsed.errors).toEqual({});
  return compileFilter(parsed.node!, spec);
};

describe(compileFilter.name, () => {
  it('should bind every value as a parameter and take columns only from the spec', () => {
    expect(compile({ id: 5, state: { $ne: 'deleted' } })).toEqual({
      sql: '(t.id = :f0 AND t.state IS DISTINCT FROM :f1)',
      params: { f0: 5, f1: 'deleted' },
    });
  });

  it('should turn null into IS NULL / IS NOT NULL and lists into ANY / ALL', () => {
    expect(compile({ createdAt: null }).sql).toBe('t.created_at IS NULL');
    expect(compile({ createdAt: { $ne: null } }).sql).toBe('t.created_at IS NOT NULL');
    expect(compile({ id: { $in: [1, 2] } })).toEqual({ sql: 't.id = ANY(:f0)', params: { f0: [1, 2] } });
    expect(compile({ id: { $nin: [3] } }).sql).toBe('(t.id IS NULL OR t.id <> ALL(:f0))');
  });

  it('should nest $or inside $and with parentheses', () => {
    expect(compile({ $or: [{ id: { $lt: 3 } }, { id: { $gte: 10 } }], state: 'active' }).sql).toBe(
      '((t.id < :f0 OR t.id >= :f1) AND t.state = :f2)',
    );
  });
});

describe(parseFilter.name, () => {
  it('should report every problem with its path, and which fields it names', () => {
    const parsed = parseFilter('{"id":{"$regex":"x","$gt":"a"},"nope":1,"state":"deleted"}', spec);
    expect(parsed.errors).toEqual({
      filter: [
        "unknown operator '$regex' on 'id'; use one of ‘$eq, $ne, $lt, $lte, $gt, $gte, $in, $nin’",
        'id.$gt must be a whole number',
        "unknown field 'nope'; use one of ‘id, createdAt, state’",
      ],
    });
    expect([...parsed.fields].sort()).toEqual(['id', 'state']);
  });

  it('should cap the number of conditions and the size of lists', () => {
    const many = Object.fromEntries([['$or', Array.from({ length: 51 }, (_, i) => ({ id: i }))]]);
    expect(parseFilter(JSON.stringify(many), spec).errors.filter).toEqual(['must have at most 50 conditions']);
    const long = { id: { $in: Array.from({ length: 501 }, (_, i) => i) } };
    expect(parseFilter(JSON.stringify(long), spec).errors.filter).toEqual(['id.$in must have at most 500 values']);
  });
});
