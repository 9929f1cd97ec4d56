import { Controller, Delete, Get, Headers, HttpCode, Patch, Post, Put, Query, Res } from '@nestjs/common';
import {
  ApiBasicAuth,
  ApiBearerAuth,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiQuery,
  ApiTags,
} from '@nestjs/swagger';
import {
  ApiDeskErrors,
  ApiIfMatch,
  ApiIfNoneMatch,
  ApiListQuery,
  DeskBody,
  entityTag,
  ETAG_RESPONSE_HEADERS,
  ExpectedVersions,
  IdParam,
  Idempotent,
  IfMatch,
  isNotModified,
  parseListQuery,
} from '@app/common';
import type { FastifyReply } from 'fastify';
import { AppConfig } from '@app/config';
import { CurrentPrincipal } from '../auth/current-principal.decorator';
import { Principal } from '../auth/principal';
import { customerVersion, presentCustomersIncluded, presentCustomerView } from './contacts.presenter';
import { CUSTOMER_LIST } from './customer-list.definition';
import { CUSTOMER_ENVELOPE_SCHEMA, CUSTOMERS_LIST_SCHEMA } from './customer.openapi';
import { CustomersService, CustomerView } from './customers.service';
import { CustomerInputDto } from './dto/customer-input.dto';

type Query = Record<string, unknown>;

// Teamwork Desk v2: /desk/api/v2/customers…
@ApiTags('customers')
@ApiBearerAuth()
@ApiBasicAuth()
@Controller('desk/api/v2')
export class CustomersController {
  constructor(
    private readonly customers: CustomersService,
    private readonly config: AppConfig,
  ) {}

  @Post('customers.json')
  @Idempotent()
  @ApiOperation({
    summary: 'Create a customer',
    description: 'With `contacts` [{type, value, isMain?}]; `email`, `phone` and `mobile` name the main contact of that type.',
  })
  @ApiCreatedResponse({ schema: CUSTOMER_ENVELOPE_SCHEMA, headers: ETAG_RESPONSE_HEADERS })
  @ApiDeskErrors('conflict')
  async create(
    @CurrentPrincipal() principal: Principal,
    @DeskBody(CustomerInputDto, 'customer') body: CustomerInputDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    return { customer: presentCustomerView(tagged(reply, await this.customers.create(principal, body))) };
  }

  @Get('customers.json')
  @ApiOperation({ summary: 'List customers' })
  @ApiListQuery(CUSTOMER_LIST)
  @ApiOkResponse({ schema: CUSTOMERS_LIST_SCHEMA })
  @ApiDeskErrors()
  async list(@CurrentPrincipal() principal: Principal, @Query() query: Query) {
    const list = parseListQuery(query, CUSTOMER_LIST, this.config);
    const { views, meta } = await this.customers.list(principal, list);
    return {
      customers: views.map((view) => presentCustomerView(view, list.fields)),
      included: presentCustomersIncluded(views, list.includes),
      meta: { page: meta },
    };
  }

  @Get('customers/:id.json')
  @ApiOperation({ summary: 'Get a customer' })
  @ApiQuery({ name: 'fields', required: false, description: 'Comma list of customer fields' })
  @ApiQuery({ name: 'includes', required: false, description: 'contacts, or all' })
  @ApiOkResponse({ schema: CUSTOMER_ENVELOPE_SCHEMA, headers: ETAG_RESPONSE_HEADERS })
  @ApiIfNoneMatch()
  @ApiDeskErrors('notFound')
  async get(
    @CurrentPrincipal() principal: Principal,
    @IdParam() id: number,
    @Query() query: Query,
    @Headers('if-none-match') ifNoneMatch: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    // A single resource takes only `fields` and `includes` of the list parameters.
    const { fields, includes } = parseListQuery({ fields: query.fields, includes: query.includes }, CUSTOMER_LIST, this.config);
    const view = await this.customers.getById(principal, id);
    const version = customerVersion(view);
    void reply.header('ETag', entityTag(version));
    // Side-loads change on their own, so only a response without them can be not modified.
    if (includes.size === 0 && isNotModified(ifNoneMatch, version)) return void reply.status(304);
    const customer = presentCustomerView(view, fields);
    if (includes.size === 0) return { customer };
    return { customer, included: presentCustomersIncluded([view], includes) };
  }

  @Put('customers/:id.json')
  @ApiOperation({ summary: 'Replace a customer: omitted properties are cleared, unlisted contacts removed' })
  @ApiOkResponse({ schema: CUSTOMER_ENVELOPE_SCHEMA, headers: ETAG_RESPONSE_HEADERS })
  @ApiIfMatch()
  @ApiDeskErrors('notFound', 'conflict')
  async replace(
    @CurrentPrincipal() principal: Principal,
    @IdParam() id: number,
    @DeskBody(CustomerInputDto, 'customer') body: CustomerInputDto,
    @IfMatch() expected: ExpectedVersions | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    return { customer: presentCustomerView(tagged(reply, await this.customers.replace(principal, id, body, expected))) };
  }

  @Patch('customers/:id.json')
  @ApiOperation({
    summary: 'Update a customer: omitted properties are unchanged',
    description: '`contacts` entries with id change that contact (removed with "delete": true); without id they are added.',
  })
  @ApiOkResponse({ schema: CUSTOMER_ENVELOPE_SCHEMA, headers: ETAG_RESPONSE_HEADERS })
  @ApiIfMatch()
  @ApiDeskErrors('notFound', 'conflict')
  async update(
    @CurrentPrincipal() principal: Principal,
    @IdParam() id: number,
    @DeskBody(CustomerInputDto, 'customer') body: CustomerInputDto,
    @IfMatch() expected: ExpectedVersions | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    return { customer: presentCustomerView(tagged(reply, await this.customers.update(principal, id, body, expected))) };
  }

  @Delete('customers/:id.json')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete a customer (soft: state becomes "deleted"; its contacts are freed)' })
  @ApiNoContentResponse({ description: 'Deleted' })
  @ApiDeskErrors('notFound')
  async remove(@CurrentPrincipal() principal: Principal, @IdParam() id: number): Promise<void> {
    await this.customers.remove(principal, id);
  }
}

// Shows the customer's version as the response's ETag.
function tagged(reply: FastifyReply, view: CustomerView): CustomerView {
  void reply.header('ETag', entityTag(customerVersion(view)));
  return view;
}
