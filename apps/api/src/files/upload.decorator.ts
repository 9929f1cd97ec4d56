import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import { UnsupportedMediaTypeError } from '@app/common';
import type { FastifyRequest } from 'fastify';
import { FileErrorCode } from './files.errors';
import { UploadedFile } from './uploaded-file';

// The file of a multipart upload route (see multipart-upload.parser.ts). Any other body, JSON
// included, is the wrong media type for it.
export const Upload = createParamDecorator((_data: unknown, context: ExecutionContext): UploadedFile => {
  const body = context.switchToHttp().getRequest<FastifyRequest>().body;
  if (body instanceof UploadedFile) return body;
  throw new UnsupportedMediaTypeError(FileErrorCode.NotMultipart, 'send the file as multipart/form-data, in one part named file');
});
