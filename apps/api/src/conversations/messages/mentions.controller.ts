import { Controller, Get } from '@nestjs/common';
import { ApiBasicAuth, ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiDeskErrors, ApiListQuery, ListQuery } from '@app/common';
import { CurrentPrincipal } from '../../auth/current-principal.decorator';
import { Principal } from '../../auth/principal';
import { PageQuery, RespondPage } from '../../http/resource.decorators';
import { MENTIONS_LIST_SCHEMA } from './mention.openapi';
import { MENTION_LIST } from './mention-list.definition';
import { MENTION } from './mention.resource';
import { MessagesService } from './messages.service';

// The caller's mentions in notes: /desk/api/v2/me/mentions.json (beside the auth module's me.json,
// a path of its own).
@ApiTags('conversation messages')
@ApiBearerAuth()
@ApiBasicAuth()
@Controller('desk/api/v2')
export class MentionsController {
  constructor(private readonly messages: MessagesService) {}

  @Get('me/mentions.json')
  @ApiOperation({
    summary: "The caller's mentions in private notes, newest first",
    description: "Each is the note's id, its conversation, the note (a ref) and who wrote it; a deleted note's mentions only when the filter names state.",
  })
  @ApiListQuery(MENTION_LIST)
  @ApiOkResponse({ schema: MENTIONS_LIST_SCHEMA })
  @ApiDeskErrors()
  @RespondPage(MENTION, MENTION_LIST)
  list(@CurrentPrincipal() principal: Principal, @PageQuery() list: ListQuery) {
    return this.messages.mentionsOf(principal, list);
  }
}
