import { DataSource } from 'typeorm';
import { PostgresQueryRunner } from 'typeorm/driver/postgres/PostgresQueryRunner';

// The plan of the list statement one request ran in the in-process app (the spy sees only that
// app's statements, so `send` must go there, also under E2E_PROCESSES), explained with sequential
// scans priced out: a plan still sorts or scans the table unless an index fits.
export async function listPlanOf(db: DataSource, send: () => Promise<{ status: number }>): Promise<string> {
  const spy = jest.spyOn(PostgresQueryRunner.prototype, 'query');
  let statement: [string, unknown[]] | undefined;
  try {
    expect((await send()).status).toBe(200);
    statement = spy.mock.calls.map((call) => [call[0], call[1] ?? []] as [string, unknown[]]).find(([sql]) => sql.includes('list_cursor_value'));
  } finally {
    spy.mockRestore();
  }
  expect(statement).toBeDefined();
  return db.transaction(async (manager) => {
    await manager.query(`SET LOCAL enable_seqscan = off`);
    const [row] = await manager.query(`EXPLAIN (FORMAT JSON) ${statement![0]}`, statement![1]);
    return JSON.stringify(row['QUERY PLAN']);
  });
}
