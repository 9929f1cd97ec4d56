import { applyDecorators, Header, StreamableFile } from '@nestjs/common';
import { attachmentDisposition } from './file-names';
import { FileContent } from './files.service';

// Every download, agents' and customers': always an attachment, never rendered or sniffed, so an
// uploaded page or script cannot run on this origin.
export const FileDownloadHeaders = () =>
  applyDecorators(
    Header('X-Content-Type-Options', 'nosniff'),
    Header('Content-Security-Policy', "default-src 'none'; sandbox"),
    Header('Cache-Control', 'private, no-cache'),
  );

export function streamFile({ file, content }: FileContent): StreamableFile {
  return new StreamableFile(content.stream, { type: file.mimeType, length: content.size, disposition: attachmentDisposition(file.filename) });
}
