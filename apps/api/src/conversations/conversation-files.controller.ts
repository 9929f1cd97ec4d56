import { Controller, Get, Param, Post, StreamableFile } from '@nestjs/common';
import { RouteConfig } from '@nestjs/platform-fastify';
import {
  ApiBadRequestResponse,
  ApiBody,
  ApiConsumes,
  ApiCreatedResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiPayloadTooLargeResponse,
  ApiProduces,
  ApiTags,
  ApiUnsupportedMediaTypeResponse,
} from '@nestjs/swagger';
import { DESK_ERRORS_SCHEMA, IdParam } from '@app/common';
import { Public } from '../auth/public.decorator';
import { FileDownloadHeaders, streamFile } from '../files/file-download';
import { FILE_DOWNLOAD_SCHEMA, FILE_UPLOAD_SCHEMA } from '../files/file.openapi';
import { CUSTOMER_FILE } from '../files/file.resource';
import { FilesService } from '../files/files.service';
import { CUSTOMER_UPLOAD_ROUTE } from '../files/multipart-upload.parser';
import { Upload } from '../files/upload.decorator';
import { UploadedFile } from '../files/uploaded-file';
import { RespondOne } from '../http/resource.decorators';
import { CUSTOMER_FILE_ENVELOPE_SCHEMA } from './conversation-files.openapi';
import { ConversationsService } from './conversations.service';

const NOT_FOUND = { description: 'No conversation has this token, or (download) the file is not one the conversation may see', schema: DESK_ERRORS_SCHEMA };

// The widget's files, by conversation token (public: the token in the path is the credential).
// Files uploaded here are the only ones a customer's message may carry (FilesService.checkAttachable).
@ApiTags('files')
@Controller('desk/api/v2/conversations/token/:token')
export class ConversationFilesController {
  constructor(
    private readonly conversations: ConversationsService,
    private readonly files: FilesService,
  ) {}

  // The token is checked by the upload parser before a byte reaches the disk, and again here.
  @Public()
  @Post('files.json')
  @RouteConfig(CUSTOMER_UPLOAD_ROUTE)
  @ApiOperation({
    summary: "Upload a file for a widget's conversation (public: the conversation token is the credential)",
    description: 'multipart/form-data with exactly one part, a file named `file`, within FILES_MAX_BYTES. Not idempotent.',
    security: [],
  })
  @ApiConsumes('multipart/form-data')
  @ApiBody({ schema: FILE_UPLOAD_SCHEMA })
  @ApiCreatedResponse({ schema: CUSTOMER_FILE_ENVELOPE_SCHEMA })
  @ApiBadRequestResponse({ description: 'The multipart body is malformed or has other parts', schema: DESK_ERRORS_SCHEMA })
  @ApiNotFoundResponse(NOT_FOUND)
  @ApiPayloadTooLargeResponse({ description: 'The file is larger than FILES_MAX_BYTES', schema: DESK_ERRORS_SCHEMA })
  @ApiUnsupportedMediaTypeResponse({ description: 'The body is not multipart/form-data', schema: DESK_ERRORS_SCHEMA })
  @RespondOne(CUSTOMER_FILE)
  async upload(@Param('token') token: string, @Upload() upload: UploadedFile) {
    const conversation = await this.conversations.findByToken(token);
    return this.files.createForConversation(conversation, upload);
  }

  // As agents' downloads: always an attachment, never rendered on this origin.
  @Public()
  @Get('files/:id/download')
  @FileDownloadHeaders()
  @ApiOperation({
    summary: "Download a file of a widget's conversation (public: the conversation token is the credential)",
    description: 'Files attached to an active message of the conversation, or uploaded for it; any other id is a 404.',
    security: [],
  })
  @ApiProduces('application/octet-stream')
  @ApiOkResponse({
    description: 'The bytes, with Content-Disposition: attachment',
    content: { 'application/octet-stream': { schema: FILE_DOWNLOAD_SCHEMA }, '*/*': { schema: FILE_DOWNLOAD_SCHEMA } },
  })
  @ApiBadRequestResponse({ description: 'The id is not a whole number', schema: DESK_ERRORS_SCHEMA })
  @ApiNotFoundResponse(NOT_FOUND)
  async download(@Param('token') token: string, @IdParam() id: number): Promise<StreamableFile> {
    return streamFile(await this.conversations.openFileByToken(token, id));
  }
}
