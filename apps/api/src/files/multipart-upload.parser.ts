import { createHash, randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import { join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Busboy, BusboyHeaders, BusboyInstance } from '@fastify/busboy';
import { FieldErrorsBuilder, Messages, PayloadTooLargeError, UnsupportedMediaTypeError, ValidationError } from '@app/common';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { sanitizeFilename, sanitizeMimeType } from './file-names';
import { FileErrorCode } from './files.errors';
import { UploadedFile } from './uploaded-file';

declare module 'fastify' {
  interface FastifyRequest {
    // Temp files this request's upload wrote; removed once it is answered.
    uploadTempFiles?: string[];
  }
  interface FastifyContextConfig {
    // Set by @RouteConfig(MULTIPART_UPLOAD_ROUTE or CUSTOMER_UPLOAD_ROUTE) on the routes that take
    // a file upload: the credential checked before the file is read.
    multipartUpload?: UploadCredential;
  }
}

// An agent's API key, or the conversation token in the route's path (`:token`).
export type UploadCredential = 'apiKey' | 'conversationToken';

// `@RouteConfig(MULTIPART_UPLOAD_ROUTE)`: this route takes multipart/form-data with one part `file`.
export const MULTIPART_UPLOAD_ROUTE = { multipartUpload: 'apiKey' as UploadCredential };
// The same, for a customer's upload authorised by the conversation token of its path.
export const CUSTOMER_UPLOAD_ROUTE = { multipartUpload: 'conversationToken' as UploadCredential };

export const FILE_FIELD = 'file';
// Room around the file for the boundaries and part headers.
const FRAMING_BYTES = 64 * 1024;
const MAX_PARTS = 10;

export interface MultipartUploadOptions {
  maxFileBytes: number;
  tempDir: string;
  // Runs before any byte is written to disk, so a stranger cannot fill it; throws to refuse.
  authenticate?: (request: FastifyRequest, credential: UploadCredential) => Promise<unknown>;
}

// Parses multipart/form-data for the upload routes: the one part named `file` is streamed to a
// temp file while its SHA-256 and size are computed, and the body becomes an UploadedFile. Fastify's
// bodyLimit does not apply to a parser that takes the raw stream: the limit here is the file's.
export function registerMultipartUploadParser(fastify: FastifyInstance, options: MultipartUploadOptions): void {
  fastify.addContentTypeParser('multipart/form-data', (request: FastifyRequest, payload: IncomingMessage, done) => {
    parseUpload(request, payload, options).then(
      (body) => done(null, body),
      (error: Error) => done(error),
    );
  });
  // Whether the handler stored the file, failed, or never ran (an Idempotency-Key replay).
  fastify.addHook('onResponse', async (request) => removeTempFiles(request));
  fastify.addHook('onRequestAbort', async (request) => removeTempFiles(request));
}

async function parseUpload(request: FastifyRequest, payload: IncomingMessage, options: MultipartUploadOptions): Promise<unknown> {
  // No route: Fastify answers 404 and the body is never read.
  if (request.is404) return undefined;
  const credential = request.routeOptions.config.multipartUpload;
  if (!credential) {
    throw new UnsupportedMediaTypeError('UNSUPPORTED_MEDIA_TYPE', 'multipart/form-data is taken by file uploads only; send application/json');
  }
  const declared = Number(request.headers['content-length']);
  if (declared > options.maxFileBytes + FRAMING_BYTES) throw tooLarge(options.maxFileBytes);
  await options.authenticate?.(request, credential);
  await mkdir(options.tempDir, { recursive: true });
  return new UploadReader(request, payload, options).read();
}

class UploadReader {
  private readonly errors = new FieldErrorsBuilder();
  private readonly abort = new AbortController();
  private written?: Promise<{ size: number; sha256: string }>;
  private part?: { path: string; filename: string; mimeType: string };
  // Whether `file` came as something other than one file part (then "must be set" would only repeat it).
  private fileMisused = false;
  private settled = false;

  constructor(
    private readonly request: FastifyRequest,
    private readonly payload: IncomingMessage,
    private readonly options: MultipartUploadOptions,
  ) {}

  read(): Promise<UploadedFile> {
    return new Promise((resolve, reject) => {
      let busboy: BusboyInstance;
      try {
        busboy = Busboy({
          headers: this.request.headers as BusboyHeaders,
          defCharset: 'utf8',
          // The name as sent: sanitizeFilename() keeps its last segment, and an empty one means no file.
          preservePath: true,
          limits: { fileSize: this.options.maxFileBytes, parts: MAX_PARTS, fieldSize: 1024, headerPairs: 16, headerSize: 16 * 1024 },
        });
      } catch {
        return reject(malformed('has no boundary'));
      }

      // The whole body is capped too, so parts that are not files cannot stream on forever.
      const cap = this.options.maxFileBytes + FRAMING_BYTES;
      let received = 0;
      const count = (chunk: Buffer) => {
        received += chunk.length;
        if (received > cap) fail(tooLarge(this.options.maxFileBytes));
      };
      const fail = (error: Error) => {
        if (this.settled) return;
        this.settled = true;
        // The rest of the body is read and dropped, so the client gets to read the answer.
        this.payload.unpipe(busboy);
        this.payload.off('data', count);
        this.payload.resume();
        this.abort.abort();
        // Removed before the answer goes out: a refused upload leaves nothing behind.
        void Promise.resolve(this.written)
          .catch(() => undefined)
          .then(() => removeTempFiles(this.request))
          .then(() => reject(error));
      };

      busboy.on('file', (name, stream, filename, _encoding, mimeType) => this.onFile(name, stream, filename, mimeType, fail));
      busboy.on('field', (name) => {
        if (name === FILE_FIELD) this.fileMisused = true;
        this.unexpectedPart(name, 'must be a file');
      });
      busboy.on('partsLimit', () => this.errors.add('_', `the body must have at most ${MAX_PARTS} parts`));
      busboy.on('error', () => fail(malformed('is cut short or malformed')));
      busboy.on('finish', () => {
        this.finish().then((file) => {
          if (this.settled) return;
          this.settled = true;
          resolve(file);
        }, fail);
      });
      this.payload.on('data', count);
      this.payload.on('error', () => fail(malformed('is cut short')));
      this.payload.on('close', () => {
        if (!this.payload.complete) fail(malformed('is cut short'));
      });
      this.payload.pipe(busboy);
    });
  }

  private onFile(name: string, stream: Readable, filename: string | undefined, mimeType: string, fail: (error: Error) => void): void {
    // Parts busboy had already buffered when the upload was refused; and a browser form with no
    // file chosen, which sends the part with an empty filename: neither is a file to keep.
    if (this.settled || (name === FILE_FIELD && filename === '' && !this.part)) {
      stream.resume();
      return;
    }
    if (name !== FILE_FIELD || this.part) {
      if (name === FILE_FIELD) this.fileMisused = true;
      this.unexpectedPart(name, 'must be given once');
      stream.resume();
      return;
    }
    const path = join(this.options.tempDir, `upload-${randomUUID()}`);
    (this.request.uploadTempFiles ??= []).push(path);
    this.part = { path, filename: sanitizeFilename(filename), mimeType: sanitizeMimeType(mimeType) };
    stream.on('limit', () => fail(tooLarge(this.options.maxFileBytes)));
    this.written = writeHashed(stream, path, this.abort.signal);
    // Failures surface in finish(); this keeps an early one from going unhandled meanwhile.
    this.written.catch(() => undefined);
  }

  // `file` misused gets `fileMessage`; any other part is not a known field.
  private unexpectedPart(name: string | undefined, fileMessage: string): void {
    if (name === FILE_FIELD) this.errors.add(FILE_FIELD, fileMessage);
    else if (isSafeKey(name)) this.errors.add(name, Messages.unknownField);
    else this.errors.add('_', `the body must have one part, named ${FILE_FIELD}`);
  }

  private async finish(): Promise<UploadedFile> {
    const written = await this.written;
    if (!this.part && !this.fileMisused) this.errors.add(FILE_FIELD, Messages.required);
    this.errors.throwIfAny();
    const { path, filename, mimeType } = this.part!;
    return new UploadedFile(path, filename, mimeType, written!.size, written!.sha256);
  }
}

async function writeHashed(stream: Readable, path: string, signal: AbortSignal): Promise<{ size: number; sha256: string }> {
  const hash = createHash('sha256');
  let size = 0;
  const measure = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      hash.update(chunk);
      size += chunk.length;
      callback(null, chunk);
    },
  });
  await pipeline(stream, measure, createWriteStream(path, { flags: 'wx', mode: 0o600 }), { signal });
  return { size, sha256: hash.digest('hex') };
}

async function removeTempFiles(request: FastifyRequest): Promise<void> {
  const paths = request.uploadTempFiles;
  if (!paths) return;
  request.uploadTempFiles = undefined;
  await Promise.all(paths.map((path) => rm(path, { force: true })));
}

// Whether a part's name can be an error key: nothing that could touch a prototype.
function isSafeKey(name: string | undefined): name is string {
  return name !== undefined && /^[A-Za-z0-9_.[\]-]{1,64}$/.test(name) && !(name in Object.prototype);
}

function tooLarge(maxFileBytes: number): PayloadTooLargeError {
  return new PayloadTooLargeError(FileErrorCode.TooLarge, `the file must be at most ${maxFileBytes} bytes`);
}

function malformed(problem: string): ValidationError {
  return ValidationError.of('_', `the multipart/form-data body ${problem}`, FileErrorCode.MalformedMultipart);
}
