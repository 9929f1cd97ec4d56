import { Controller, Get, Patch, Post } from '@nestjs/common';
import {
  ApiBasicAuth,
  ApiBearerAuth,
  ApiBody,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiOkResponse,
  ApiOperation,
  ApiQuery,
  ApiTags,
} from '@nestjs/swagger';
import { ApiDeskErrors, ApiListQuery, DESK_ERRORS_SCHEMA, DeskBody, IdParam, Idempotent, ListQuery } from '@app/common';
import { PageQuery, RespondOne, RespondPage, RespondRead } from '../http/resource.decorators';
import { AdminOnly } from './admin-only.decorator';
import { CurrentPrincipal } from './current-principal.decorator';
import { CreateUserDto } from './dto/create-user.dto';
import { UpdateUserDto } from './dto/update-user.dto';
import { Principal } from './principal';
import { USER_LIST } from './user-list.definition';
import { TenantsService } from './tenants.service';
import { CREATE_USER_BODY_SCHEMA, ME_SCHEMA, UPDATE_USER_BODY_SCHEMA, USER_ENVELOPE_SCHEMA, USERS_LIST_SCHEMA } from './user.openapi';
import { ME, USER } from './user.resource';
import { UsersService } from './users.service';

const ADMIN_REFUSAL = 'only an admin may create or change agents';

// Teamwork Desk v2: the tenant's agents (/users…) and the caller (/me.json).
@ApiTags('users')
@ApiBearerAuth()
@ApiBasicAuth()
@Controller('desk/api/v2')
export class UsersController {
  constructor(
    private readonly users: UsersService,
    private readonly tenants: TenantsService,
  ) {}

  @Get('users.json')
  @ApiOperation({ summary: 'List agents' })
  @ApiListQuery(USER_LIST)
  @ApiOkResponse({ schema: USERS_LIST_SCHEMA })
  @ApiDeskErrors()
  @RespondPage(USER, USER_LIST)
  list(@CurrentPrincipal() principal: Principal, @PageQuery() list: ListQuery) {
    return this.users.list(principal.tenantId, list);
  }

  @Get('me.json')
  @ApiOperation({
    summary: 'The agent whose API key made the request, and its tenant',
    description: "tenant.locationId is the tenant's id in the HighLevel dialect.",
  })
  @ApiQuery({ name: 'fields', required: false, description: `Comma list of ${USER_LIST.fields.join(', ')}` })
  @ApiOkResponse({ schema: ME_SCHEMA })
  @ApiDeskErrors()
  @RespondRead(ME)
  async me(@CurrentPrincipal() principal: Principal) {
    const [user, tenant] = await Promise.all([this.users.getById(principal.tenantId, principal.userId), this.tenants.getById(principal.tenantId)]);
    return { user, tenant };
  }

  @Get('users/:id.json')
  @ApiOperation({ summary: 'Get an agent (deactivated ones too)' })
  @ApiQuery({ name: 'fields', required: false, description: `Comma list of ${USER_LIST.fields.join(', ')}` })
  @ApiOkResponse({ schema: USER_ENVELOPE_SCHEMA })
  @ApiDeskErrors('notFound')
  @RespondRead(USER)
  get(@CurrentPrincipal() principal: Principal, @IdParam() id: number) {
    return this.users.getById(principal.tenantId, id);
  }

  @Post('users.json')
  @AdminOnly(ADMIN_REFUSAL)
  @Idempotent()
  @ApiOperation({ summary: 'Create an agent (admins only)' })
  @ApiBody({ schema: CREATE_USER_BODY_SCHEMA })
  @ApiCreatedResponse({ schema: USER_ENVELOPE_SCHEMA })
  @ApiConflictResponse({ description: 'An active agent of the tenant has this email', schema: DESK_ERRORS_SCHEMA })
  @ApiDeskErrors()
  @RespondOne(USER)
  create(@CurrentPrincipal() principal: Principal, @DeskBody(CreateUserDto, 'user') body: CreateUserDto) {
    return this.users.create(principal, body);
  }

  @Patch('users/:id.json')
  @AdminOnly(ADMIN_REFUSAL)
  @ApiOperation({
    summary: 'Update an agent (admins only): omitted properties are unchanged',
    description: 'state "deleted" deactivates the agent, revokes its API keys and takes its open, pending and snoozed conversations off it (back to their teams\' queues). The last active admin cannot be demoted or deactivated.',
  })
  @ApiBody({ schema: UPDATE_USER_BODY_SCHEMA })
  @ApiOkResponse({ schema: USER_ENVELOPE_SCHEMA })
  @ApiConflictResponse({ description: 'The email is taken, or the change would leave no active admin', schema: DESK_ERRORS_SCHEMA })
  @ApiDeskErrors('notFound')
  @RespondOne(USER)
  update(@CurrentPrincipal() principal: Principal, @IdParam() id: number, @DeskBody(UpdateUserDto, 'user') body: UpdateUserDto) {
    return this.users.update(principal, id, body);
  }
}
