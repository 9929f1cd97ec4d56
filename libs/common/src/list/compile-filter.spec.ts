import { compileFilter } from './compile-filter';
import { ListSpec } from './list-spec';
import { FilterLimits, parseFilter } from './parse-filter';

const spec: ListSpec = {
  filterable: {
    id: { column: 't.id', type: 'integer' },
    createdAt: { column: 't.created_at', type: 'date' },
    state: { column: 't.state', type: 'string', values: ['active', 'deleted'] },
    code: { column: 'lower(t.code)', type: 'string', caseInsensitive: true, normalize: (value) => value.replaceAll('-', '') },
    labels: { column: 't.label_ids', type: 'integer', array: true },
    owner: { column: 't.owner_id', type: 'integer', nullable: true, symbols: ['me'] },
  },
  sortable: ['id'],
  defaultOrderBy: 'id',
  defaultOrderMode: 'asc',
  includes: [],
  fields: ['id'],
  stateField: 'state',
  tieBreaker: 't.id',
};

const limits: FilterLimits = { FILTER_MAX_DEPTH: 5, FILTER_MAX_CLAUSES: 50 };

const compile = (filter: unknown) => {
  const parsed = parseFilter(JSON.stringify(filter), spec, limits);
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

  it("should compare with each value in the field's normal form, lists too", () => {
    expect(compile({ code: 'A-B' }).params).toEqual({ f0: 'ab' });
    expect(compile({ code: { $in: ['X-1', 'y'] } }).params).toEqual({ f0: ['x1', 'y'] });
  });

  it('should match an array field by containment and overlap, and null as empty', () => {
    expect(compile({ labels: 4 })).toEqual({ sql: 't.label_ids @> CAST(:f0 AS bigint[])', params: { f0: [4] } });
    expect(compile({ labels: { $in: [4, 5] } })).toEqual({ sql: 't.label_ids && CAST(:f0 AS bigint[])', params: { f0: [4, 5] } });
    expect(compile({ labels: { $ne: 4 } }).sql).toBe('NOT (t.label_ids @> CAST(:f0 AS bigint[]))');
    expect(compile({ labels: { $nin: [4] } }).sql).toBe('NOT (t.label_ids && CAST(:f0 AS bigint[]))');
    expect(compile({ labels: null }).sql).toBe('cardinality(t.label_ids) = 0');
    expect(compile({ labels: { $ne: null } }).sql).toBe('cardinality(t.label_ids) > 0');
  });

  it("should take a field's symbols where a value is compared for equality, and nowhere else", () => {
    expect(compile({ owner: 'me' }).params).toEqual({ f0: 'me' });
    expect(compile({ owner: { $in: ['me', 3] } }).params).toEqual({ f0: ['me', 3] });
    expect(parseFilter('{"owner":{"$gt":"me"}}', spec, limits).errors).toEqual({ filter: ["owner.$gt must be a whole number or one of ‘me’"] });
    expect(parseFilter('{"id":"me"}', spec, limits).errors).toEqual({ filter: ['id must be a whole number'] });
    expect(parseFilter('{"labels":{"$lt":3}}', spec, limits).errors).toEqual({ filter: ["labels.$lt does not apply to 'labels'; use one of ‘$eq, $ne, $in, $nin’"] });
  });

  it('should nest $or inside $and with parentheses', () => {
    expect(compile({ $or: [{ id: { $lt: 3 } }, { id: { $gte: 10 } }], state: 'active' }).sql).toBe(
      '((t.id < :f0 OR t.id >= :f1) AND t.state = :f2)',
    );
  });
});

describe(parseFilter.name, () => {
  it('should report every problem with its path, and which fields it names', () => {
    const parsed = parseFilter('{"id":{"$regex":"x","$gt":"a"},"nope":1,"state":"deleted"}', spec, limits);
    expect(parsed.errors).toEqual({
      filter: [
        "unknown operator '$regex' on 'id'; use one of ‘$eq, $ne, $lt, $lte, $gt, $gte, $in, $nin’",
        'id.$gt must be a whole number',
        "unknown field 'nope'; use one of ‘id, createdAt, state, code, labels, owner’",
      ],
    });
    expect([...parsed.fields].sort()).toEqual(['id', 'state']);
  });

  it('should cap the number of conditions and the size of lists', () => {
    const many = Object.fromEntries([['$or', Array.from({ length: 51 }, (_, i) => ({ id: i }))]]);
    expect(parseFilter(JSON.stringify(many), spec, limits).errors.filter).toEqual(['must have at most 50 conditions']);
    const long = { id: { $in: Array.from({ length: 501 }, (_, i) => i) } };
    expect(parseFilter(JSON.stringify(long), spec, limits).errors.filter).toEqual(['id.$in must have at most 500 values']);
  });

  it('should take its depth and condition limits from the caller, saying each once', () => {
    const tight: FilterLimits = { FILTER_MAX_DEPTH: 2, FILTER_MAX_CLAUSES: 3 };
    expect(parseFilter(JSON.stringify({ $and: [{ id: 1 }, { id: 2 }], state: 'active' }), spec, tight).errors).toEqual({});
    expect(parseFilter(JSON.stringify({ $and: [{ $or: [{ id: 1 }] }] }), spec, tight).errors.filter).toEqual([
      '$and[0].$or[0] must not nest deeper than 2 levels',
    ]);
    // Over the limit by thousands of conditions, and by an array of empty filters: one message each.
    const many = { $or: Array.from({ length: 3 }, (_, i) => ({ id: { $gt: i, $lt: 10, $ne: 5 } })) };
    expect(parseFilter(JSON.stringify(many), spec, tight).errors.filter).toEqual(['must have at most 3 conditions']);
    const padded = { $or: Array.from({ length: 10_000 }, () => ({})) };
    expect(parseFilter(JSON.stringify(padded), spec, tight).errors.filter).toEqual(['must have at most 3 conditions']);
    // An object of a thousand unknown fields, or of unknown operators: one message, not one a key.
    const wide = Object.fromEntries(Array.from({ length: 1000 }, (_, i) => [`f${i}`, 1]));
    expect(parseFilter(JSON.stringify(wide), spec, tight).errors.filter).toEqual(['must have at most 3 conditions']);
    const operators = { id: Object.fromEntries(Array.from({ length: 1000 }, (_, i) => [`$op${i}`, 1])) };
    expect(parseFilter(JSON.stringify(operators), spec, tight).errors.filter).toEqual(['must have at most 3 conditions']);
  });

  it('should refuse a JSON bomb of deep nesting with one message, without overflowing the stack', () => {
    const bombs = [
      '['.repeat(100_000) + ']'.repeat(100_000),
      '{"$and":['.repeat(50_000) + '{}' + ']}'.repeat(50_000),
      '{"id":{"$in":' + '['.repeat(100_000) + ']'.repeat(100_000) + '}}',
      '{"a":'.repeat(100_000) + '1' + '}'.repeat(100_000),
      '['.repeat(100_000),
    ];
    for (const bomb of bombs) {
      const { node, errors } = parseFilter(bomb, spec, limits);
      expect(node).toBeNull();
      expect(errors.filter).toHaveLength(1);
    }
    // The $and chain is refused by the depth limit itself, at its first level past it.
    const chain = parseFilter('{"$and":['.repeat(50_000) + '{}' + ']}'.repeat(50_000), spec, limits);
    const past = '.$and[0]'.repeat(limits.FILTER_MAX_DEPTH).slice(1);
    expect(chain.errors.filter).toEqual([`${past} must not nest deeper than ${limits.FILTER_MAX_DEPTH} levels`]);
  });
});
