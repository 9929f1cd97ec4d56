import { ChildProcess, spawn } from 'node:child_process';
import { connect } from 'node:net';

// The rate limits' tests count in Redis too: a throwaway redis-server of this run's own (Debian's
// redis-server package) when none is given or answers on 6379 (test/support/requirements.ts),
// keeping nothing on disk, as the embedded PostgreSQL stands in for a missing database server.
export interface TestRedis {
  url: string;
  stop(): Promise<void>;
}

export async function startRedisServer(binary: string, port: number): Promise<TestRedis> {
  const child = spawn(binary, ['--bind', '127.0.0.1', '--port', String(port), '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  const failed = new Promise<never>((_, reject) => child.once('error', (error) => reject(new Error(`${binary} could not start: ${error.message}`))));
  for (const deadline = Date.now() + 10_000; Date.now() < deadline; ) {
    if (await Promise.race([answersPing(port), failed])) return { url: `redis://127.0.0.1:${port}`, stop: () => stopChild(child) };
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  await stopChild(child);
  throw new Error(`${binary} did not answer on 127.0.0.1:${port}`);
}

export function answersPing(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1', () => socket.write('PING\r\n'));
    socket.setTimeout(1000, () => socket.destroy());
    socket.once('data', (data) => {
      socket.destroy();
      resolve(data.toString().startsWith('+PONG'));
    });
    socket.once('error', () => resolve(false));
    socket.once('close', () => resolve(false));
  });
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}
