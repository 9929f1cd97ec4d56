// CI runs the whole suite in several passes that change only how the suite's own requests travel:
// round-robin over two service processes (E2E_PROCESSES), through PgBouncer (E2E_PGBOUNCER). The
// scale proofs and the process suite start service processes of their own and send them their own load, so those passes
// would prove nothing new with them and cost minutes: they run in the main and bare passes only.
const alternatePass = Number(process.env.E2E_PROCESSES ?? '1') > 1 || process.env.E2E_PGBOUNCER === '1';

export const itWithOwnProcesses: jest.It = alternatePass ? it.skip : it;
