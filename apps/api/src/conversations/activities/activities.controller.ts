import { Controller, Get } from '@nestjs/common';
import { ApiBasicAuth, ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiDeskErrors, ApiListQuery, IdParam, ListQuery } from '@app/common';
import { CurrentPrincipal } from '../../auth/current-principal.decorator';
import { Principal } from '../../auth/principal';
import { PageQuery, RespondPage } from '../../http/resource.decorators';
import { ActivitiesService } from './activities.service';
import { ACTIVITY_LIST } from './activity-list.definition';
import { ACTIVITIES_LIST_SCHEMA } from './activity.openapi';
import { ACTIVITY } from './activity.resource';

// Teamwork Desk v2 style: /desk/api/v2/conversations/{id}/activities.json.
@ApiTags('conversations')
@ApiBearerAuth()
@ApiBasicAuth()
@Controller('desk/api/v2')
export class ActivitiesController {
  constructor(private readonly activities: ActivitiesService) {}

  @Get('conversations/:id/activities.json')
  @ApiOperation({ summary: "A conversation's activity: every change of its status, priority, assignee, team and labels, its conversion and routing, oldest first by default" })
  @ApiListQuery(ACTIVITY_LIST)
  @ApiOkResponse({ schema: ACTIVITIES_LIST_SCHEMA })
  @ApiDeskErrors('notFound')
  @RespondPage(ACTIVITY, ACTIVITY_LIST)
  list(@CurrentPrincipal() principal: Principal, @IdParam() id: number, @PageQuery() list: ListQuery) {
    return this.activities.listOfConversation(principal.tenantId, id, list);
  }
}
