import { spawn } from 'node:child_process';
import { createServer, request as httpRequest } from 'node:http';
import { AddressInfo } from 'node:net';
import { freePort, MAIN, ROOT } from './service-process';

export interface ServiceProcess {
  url: string;
  stop(): Promise<void>;
}

// One service process with exactly `env` (and PATH), on a port of its own; resolves once it answers.
export async function startServiceProcess(env: Record<string, string>): Promise<ServiceProcess> {
  const port = await freePort();
  const child = spawn(process.execPath, [MAIN], {
    cwd: ROOT,
    env: { PATH: process.env.PATH, ...env, PORT: String(port), HOST: '127.0.0.1' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
  };
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`service process exited with ${child.exitCode}:\n${stderr}`);
    if (await answers(`${url}/health`)) return { url, stop };
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`service process did not answer on ${url}:\n${stderr}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function answers(url: string): Promise<boolean> {
  try {
    return (await fetch(url)).ok;
  } catch {
    return false;
  }
}

export interface RoundRobin {
  url: string;
  close(): Promise<void>;
}

// Sends each request to the next target in turn, method, path, headers and body unchanged, and the
// answer back unchanged: supertest keeps its API against the URL.
export async function startRoundRobin(targets: string[]): Promise<RoundRobin> {
  let next = 0;
  const server = createServer(async (req, res) => {
    // The body whole, then in one write, as supertest sends it: a service that answers before
    // reading all of it (a 413) then closes a connection that holds no more unsent data.
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const target = new URL(targets[next++ % targets.length]);
    const upstream = httpRequest({
      host: target.hostname,
      port: target.port,
      method: req.method,
      path: req.url,
      headers: req.rawHeaders,
      setHost: false,
      // A fresh connection each time: a reused one the service has just closed would fail at random.
      agent: false,
    });
    upstream.on('response', (answer) => {
      res.writeHead(answer.statusCode!, answer.statusMessage, answer.rawHeaders);
      answer.pipe(res);
    });
    upstream.on('error', (error) => {
      if (!res.headersSent) res.writeHead(502, { 'Content-Type': 'text/plain' });
      res.end(`round-robin: ${error.message}`);
    });
    upstream.end(Buffer.concat(chunks));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
