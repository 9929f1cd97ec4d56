export enum FileErrorCode {
  NotFound = 'FILE_NOT_FOUND',
  TooLarge = 'FILE_TOO_LARGE',
  NotMultipart = 'FILE_UPLOAD_NOT_MULTIPART',
  MalformedMultipart = 'MALFORMED_MULTIPART',
}
