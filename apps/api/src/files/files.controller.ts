import { Controller, Get, Post, StreamableFile } from '@nestjs/common';
import { RouteConfig } from '@nestjs/platform-fastify';
import {
  ApiBasicAuth,
  ApiBearerAuth,
  ApiBody,
  ApiConsumes,
  ApiCreatedResponse,
  ApiOkResponse,
  ApiOperation,
  ApiPayloadTooLargeResponse,
  ApiProduces,
  ApiTags,
  ApiUnsupportedMediaTypeResponse,
} from '@nestjs/swagger';
import { ApiDeskErrors, DESK_ERRORS_SCHEMA, IdParam, Idempotent } from '@app/common';
import { CurrentPrincipal } from '../auth/current-principal.decorator';
import { Principal } from '../auth/principal';
import { RespondOne, RespondRead } from '../http/resource.decorators';
import { FileDownloadHeaders, streamFile } from './file-download';
import { FILE_DOWNLOAD_SCHEMA, FILE_ENVELOPE_SCHEMA, FILE_UPLOAD_SCHEMA } from './file.openapi';
import { FILE } from './file.resource';
import { FilesService } from './files.service';
import { MULTIPART_UPLOAD_ROUTE } from './multipart-upload.parser';
import { Upload } from './upload.decorator';
import { UploadedFile } from './uploaded-file';

// Teamwork Desk v2: attachments, uploaded once and referred to by id from messages and tickets.
@ApiTags('files')
@ApiBearerAuth()
@ApiBasicAuth()
@Controller('desk/api/v2')
export class FilesController {
  constructor(private readonly files: FilesService) {}

  @Post('files.json')
  @Idempotent()
  @RouteConfig(MULTIPART_UPLOAD_ROUTE)
  @ApiOperation({ summary: 'Upload a file', description: 'multipart/form-data with exactly one part, a file named `file`.' })
  @ApiConsumes('multipart/form-data')
  @ApiBody({ schema: FILE_UPLOAD_SCHEMA })
  @ApiCreatedResponse({ schema: FILE_ENVELOPE_SCHEMA })
  @ApiPayloadTooLargeResponse({ description: 'The file is larger than FILES_MAX_BYTES', schema: DESK_ERRORS_SCHEMA })
  @ApiUnsupportedMediaTypeResponse({ description: 'The body is not multipart/form-data', schema: DESK_ERRORS_SCHEMA })
  @ApiDeskErrors()
  @RespondOne(FILE)
  upload(@CurrentPrincipal() principal: Principal, @Upload() upload: UploadedFile) {
    return this.files.create(principal, upload);
  }

  @Get('files/:id.json')
  @ApiOperation({ summary: "Get a file's metadata" })
  @ApiOkResponse({ schema: FILE_ENVELOPE_SCHEMA })
  @ApiDeskErrors('notFound')
  @RespondRead(FILE)
  get(@CurrentPrincipal() principal: Principal, @IdParam() id: number) {
    return this.files.getById(principal.tenantId, id);
  }

  // Always a download, never rendered: an uploaded page or script must not run on this origin.
  @Get('files/:id/download')
  @FileDownloadHeaders()
  @ApiOperation({ summary: "Download a file's bytes (as an attachment, with its stored Content-Type)" })
  @ApiProduces('application/octet-stream')
  @ApiOkResponse({
    description: 'The bytes, with Content-Disposition: attachment',
    content: { 'application/octet-stream': { schema: FILE_DOWNLOAD_SCHEMA }, '*/*': { schema: FILE_DOWNLOAD_SCHEMA } },
  })
  @ApiDeskErrors('notFound')
  async download(@CurrentPrincipal() principal: Principal, @IdParam() id: number): Promise<StreamableFile> {
    return streamFile(await this.files.openContent(principal.tenantId, id));
  }
}
