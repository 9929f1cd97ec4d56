import { ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';

// The built service as production runs it (`npm run build` first): a real process, real signals.
export const ROOT = join(__dirname, '../..');
export const MAIN = join(ROOT, 'dist/apps/api/apps/api/src/main.js');
export const CLI = join(ROOT, 'dist/apps/api/apps/api/src/cli.js');

export interface ServiceProcess {
  child: ChildProcess;
  url: string;
  output: () => string;
  // The exit code, or the signal that ended it.
  exited: Promise<number | NodeJS.Signals | null>;
}

// Starts main.js with only PATH and `env`, and resolves once it logs that it listens.
export function startService(env: Record<string, string>): Promise<ServiceProcess> {
  const child = spawn(process.execPath, [MAIN], {
    cwd: ROOT,
    env: { PATH: process.env.PATH, PORT: '0', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const exited = new Promise<number | NodeJS.Signals | null>((resolve) => child.on('exit', (code, signal) => resolve(code ?? signal)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`service did not start:\n${output}`));
    }, 30_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /listening on (http:\/\/[^ ]+) /.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve({ child, url: match[1].replace('[::1]', '127.0.0.1'), output: () => output, exited });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    void exited.then((code) => reject(new Error(`service exited with ${code}:\n${output}`)));
  });
}

// A port to listen on, below the kernel's ephemeral range: a port the kernel handed out (listen on
// 0) may be taken again as the local port of any outgoing connection before the server binds it,
// and the fault suite's load opens thousands of those.
const PORTS_BELOW_EPHEMERAL = { from: 20_000, to: 32_000 };

export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = PORTS_BELOW_EPHEMERAL.from + Math.floor(Math.random() * (PORTS_BELOW_EPHEMERAL.to - PORTS_BELOW_EPHEMERAL.from));
    if (await canListen(port)) return port;
  }
  return listenOnce(0);
}

function canListen(port: number): Promise<boolean> {
  return listenOnce(port).then(
    () => true,
    () => false,
  );
}

function listenOnce(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      const { port: bound } = server.address() as { port: number };
      server.close(() => resolve(bound));
    });
  });
}
