import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';

// What FilesService stores: the client's (sanitised) description and a way to read the bytes.
export interface FileUpload {
  filename: string;
  mimeType: string;
  size: number;
  sha256: string;
  open(): Readable;
}

// The body of a multipart upload once parsed: the one file part, already on disk in a temp file
// that the request's end removes (see multipart-upload.parser.ts).
export class UploadedFile implements FileUpload {
  constructor(
    readonly tempPath: string,
    readonly filename: string,
    readonly mimeType: string,
    readonly size: number,
    readonly sha256: string,
  ) {}

  open(): Readable {
    return createReadStream(this.tempPath);
  }

  // What the Idempotency-Key fingerprint sees: the file, not its multipart framing (a retry has
  // another boundary) nor where it was put.
  toJSON(): { filename: string; mimeType: string; size: number; sha256: string } {
    return { filename: this.filename, mimeType: this.mimeType, size: this.size, sha256: this.sha256 };
  }
}
