import { Controller, Delete, Get, HttpCode, Patch, Post } from '@nestjs/common';
import {
  ApiBasicAuth,
  ApiBearerAuth,
  ApiBody,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiQuery,
  ApiTags,
} from '@nestjs/swagger';
import { ApiDeskErrors, ApiListQuery, DeskBody, IdParam, Idempotent, ListQuery } from '@app/common';
import { AdminOnly } from '../../auth/admin-only.decorator';
import { CurrentPrincipal } from '../../auth/current-principal.decorator';
import { Principal } from '../../auth/principal';
import { PageQuery, RespondOne, RespondPage, RespondRead } from '../../http/resource.decorators';
import { CreateTeamDto, UpdateTeamDto } from './dto/team.dto';
import { TEAM_LIST } from './team-list.definition';
import { CREATE_TEAM_BODY_SCHEMA, TEAM_ENVELOPE_SCHEMA, TEAMS_LIST_SCHEMA, UPDATE_TEAM_BODY_SCHEMA } from './team.openapi';
import { TEAM } from './team.resource';
import { TeamsService } from './teams.service';

const ADMIN_REFUSAL = 'only an admin may change teams';
const ROUTING = 'A change of the assignment or of the members routes the team’s queue at once.';

// Teamwork Desk v2 style: /desk/api/v2/teams.json and /desk/api/v2/teams/{id}.json.
@ApiTags('teams')
@ApiBearerAuth()
@ApiBasicAuth()
@Controller('desk/api/v2')
export class TeamsController {
  constructor(private readonly teams: TeamsService) {}

  @Get('teams.json')
  @ApiOperation({ summary: 'List teams', description: 'Deleted ones only when the filter names `state`.' })
  @ApiListQuery(TEAM_LIST)
  @ApiOkResponse({ schema: TEAMS_LIST_SCHEMA })
  @ApiDeskErrors()
  @RespondPage(TEAM, TEAM_LIST)
  list(@CurrentPrincipal() principal: Principal, @PageQuery() list: ListQuery) {
    return this.teams.list(principal.tenantId, list);
  }

  @Get('teams/:id.json')
  @ApiOperation({ summary: 'Get a team (deleted ones too)' })
  @ApiQuery({ name: 'fields', required: false, description: `Comma list of ${TEAM_LIST.fields.join(', ')}` })
  @ApiOkResponse({ schema: TEAM_ENVELOPE_SCHEMA })
  @ApiDeskErrors('notFound')
  @RespondRead(TEAM)
  get(@CurrentPrincipal() principal: Principal, @IdParam() id: number) {
    return this.teams.getById(principal.tenantId, id);
  }

  @Post('teams.json')
  @AdminOnly(ADMIN_REFUSAL)
  @Idempotent()
  @ApiOperation({ summary: 'Create a team (admins only)' })
  @ApiBody({ schema: CREATE_TEAM_BODY_SCHEMA })
  @ApiCreatedResponse({ schema: TEAM_ENVELOPE_SCHEMA })
  @ApiDeskErrors('conflict')
  @RespondOne(TEAM)
  create(@CurrentPrincipal() principal: Principal, @DeskBody(CreateTeamDto, 'team') body: CreateTeamDto) {
    return this.teams.create(principal, body);
  }

  @Patch('teams/:id.json')
  @AdminOnly(ADMIN_REFUSAL)
  @ApiOperation({ summary: 'Update a team (admins only): omitted properties are unchanged; `users` replaces the members', description: ROUTING })
  @ApiBody({ schema: UPDATE_TEAM_BODY_SCHEMA })
  @ApiOkResponse({ schema: TEAM_ENVELOPE_SCHEMA })
  @ApiDeskErrors('notFound', 'conflict')
  @RespondOne(TEAM)
  update(@CurrentPrincipal() principal: Principal, @IdParam() id: number, @DeskBody(UpdateTeamDto, 'team') body: UpdateTeamDto) {
    return this.teams.update(principal, id, body);
  }

  @Delete('teams/:id.json')
  @AdminOnly(ADMIN_REFUSAL)
  @HttpCode(204)
  @ApiOperation({
    summary: 'Delete a team (admins only; soft: state becomes "deleted", its name is free again)',
    description: 'Its conversations keep it as their team; it no longer routes.',
  })
  @ApiNoContentResponse({ description: 'Deleted, or already deleted' })
  @ApiDeskErrors('notFound')
  async remove(@CurrentPrincipal() principal: Principal, @IdParam() id: number): Promise<void> {
    await this.teams.remove(principal, id);
  }
}
