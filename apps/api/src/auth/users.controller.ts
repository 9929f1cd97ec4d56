import { Controller, Get, Patch, Post, Query } from '@nestjs/common';
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
import { ApiDeskErrors, ApiListQuery, DESK_ERRORS_SCHEMA, DeskBody, IdParam, Idempotent, parseListQuery, pickFields } from '@app/common';
import { AppConfig } from '@app/config';
import { AdminOnly } from './admin-only.decorator';
import { CurrentPrincipal } from './current-principal.decorator';
import { CreateUserDto } from './dto/create-user.dto';
import { UpdateUserDto } from './dto/update-user.dto';
import { Principal } from './principal';
import { USER_LIST } from './user-list.definition';
import { presentTenant } from './tenant.presenter';
import { TenantsService } from './tenants.service';
import { CREATE_USER_BODY_SCHEMA, ME_SCHEMA, UPDATE_USER_BODY_SCHEMA, USER_ENVELOPE_SCHEMA, USERS_LIST_SCHEMA } from './user.openapi';
import { presentUser } from './user.presenter';
import { UsersService } from './users.service';

type Query = Record<string, unknown>;

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
    private readonly config: AppConfig,
  ) {}

  @Get('users.json')
  @ApiOperation({ summary: 'List agents' })
  @ApiListQuery(USER_LIST)
  @ApiOkResponse({ schema: USERS_LIST_SCHEMA })
  @ApiDeskErrors()
  async list(@CurrentPrincipal() principal: Principal, @Query() query: Query) {
    const list = parseListQuery(query, USER_LIST, this.config);
    const { rows, meta } = await this.users.list(principal.tenantId, list);
    return { users: rows.map((user) => pickFields(presentUser(user), list.fields)), meta: { page: meta } };
  }

  @Get('me.json')
  @ApiOperation({
    summary: 'The agent whose API key made the request, and its tenant',
    description: "tenant.locationId is the tenant's id in the HighLevel dialect.",
  })
  @ApiQuery({ name: 'fields', required: false, description: `Comma list of ${USER_LIST.fields.join(', ')}` })
  @ApiOkResponse({ schema: ME_SCHEMA })
  @ApiDeskErrors()
  async me(@CurrentPrincipal() principal: Principal, @Query() query: Query) {
    const [user, tenant] = await Promise.all([this.users.getById(principal.tenantId, principal.userId), this.tenants.getById(principal.tenantId)]);
    return { ...this.single(user, query), tenant: presentTenant(tenant) };
  }

  @Get('users/:id.json')
  @ApiOperation({ summary: 'Get an agent (deactivated ones too)' })
  @ApiQuery({ name: 'fields', required: false, description: `Comma list of ${USER_LIST.fields.join(', ')}` })
  @ApiOkResponse({ schema: USER_ENVELOPE_SCHEMA })
  @ApiDeskErrors('notFound')
  async get(@CurrentPrincipal() principal: Principal, @IdParam() id: number, @Query() query: Query) {
    return this.single(await this.users.getById(principal.tenantId, id), query);
  }

  @Post('users.json')
  @AdminOnly(ADMIN_REFUSAL)
  @Idempotent()
  @ApiOperation({ summary: 'Create an agent (admins only)' })
  @ApiBody({ schema: CREATE_USER_BODY_SCHEMA })
  @ApiCreatedResponse({ schema: USER_ENVELOPE_SCHEMA })
  @ApiConflictResponse({ description: 'An active agent of the tenant has this email', schema: DESK_ERRORS_SCHEMA })
  @ApiDeskErrors()
  async create(@CurrentPrincipal() principal: Principal, @DeskBody(CreateUserDto, 'user') body: CreateUserDto) {
    return { user: presentUser(await this.users.create(principal, body)) };
  }

  @Patch('users/:id.json')
  @AdminOnly(ADMIN_REFUSAL)
  @ApiOperation({
    summary: 'Update an agent (admins only): omitted properties are unchanged',
    description: 'state "deleted" deactivates the agent and revokes its API keys. The last active admin cannot be demoted or deactivated.',
  })
  @ApiBody({ schema: UPDATE_USER_BODY_SCHEMA })
  @ApiOkResponse({ schema: USER_ENVELOPE_SCHEMA })
  @ApiConflictResponse({ description: 'The email is taken, or the change would leave no active admin', schema: DESK_ERRORS_SCHEMA })
  @ApiDeskErrors('notFound')
  async update(@CurrentPrincipal() principal: Principal, @IdParam() id: number, @DeskBody(UpdateUserDto, 'user') body: UpdateUserDto) {
    return { user: presentUser(await this.users.update(principal, id, body)) };
  }

  // A single agent takes only `fields` of the list parameters.
  private single(user: Awaited<ReturnType<UsersService['getById']>>, query: Query) {
    const { fields } = parseListQuery({ fields: query.fields }, USER_LIST, this.config);
    return { user: pickFields(presentUser(user), fields) };
  }
}
