import { Controller, Delete, Get, HttpCode, Patch, Post, Put } from '@nestjs/common';
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
  ETAG_RESPONSE_HEADERS,
  ExpectedVersions,
  IdParam,
  Idempotent,
  IfMatch,
  ListQuery,
} from '@app/common';
import { CurrentPrincipal } from '../auth/current-principal.decorator';
import { Principal } from '../auth/principal';
import { PageQuery, RespondOne, RespondPage, RespondRead } from '../http/resource.decorators';
import { CUSTOMER_LIST } from './customer-list.definition';
import { CUSTOMER_ENVELOPE_SCHEMA, CUSTOMERS_LIST_SCHEMA } from './customer.openapi';
import { CUSTOMER } from './customer.resource';
import { CustomersService } from './customers.service';
import { CustomerInputDto } from './dto/customer-input.dto';

// Teamwork Desk v2: /desk/api/v2/customers…
@ApiTags('customers')
@ApiBearerAuth()
@ApiBasicAuth()
@Controller('desk/api/v2')
export class CustomersController {
  constructor(private readonly customers: CustomersService) {}

  @Post('customers.json')
  @Idempotent()
  @ApiOperation({
    summary: 'Create a customer',
    description: 'With `contacts` [{type, value, isMain?}]; `email`, `phone` and `mobile` name the main contact of that type.',
  })
  @ApiCreatedResponse({ schema: CUSTOMER_ENVELOPE_SCHEMA, headers: ETAG_RESPONSE_HEADERS })
  @ApiDeskErrors('conflict')
  @RespondOne(CUSTOMER)
  create(@CurrentPrincipal() principal: Principal, @DeskBody(CustomerInputDto, 'customer') body: CustomerInputDto) {
    return this.customers.create(principal, body);
  }

  @Get('customers.json')
  @ApiOperation({ summary: 'List customers' })
  @ApiListQuery(CUSTOMER_LIST)
  @ApiOkResponse({ schema: CUSTOMERS_LIST_SCHEMA })
  @ApiDeskErrors()
  @RespondPage(CUSTOMER, CUSTOMER_LIST)
  list(@CurrentPrincipal() principal: Principal, @PageQuery() list: ListQuery) {
    return this.customers.list(principal, list);
  }

  @Get('customers/:id.json')
  @ApiOperation({ summary: 'Get a customer' })
  @ApiQuery({ name: 'fields', required: false, description: 'Comma list of customer fields' })
  @ApiQuery({ name: 'includes', required: false, description: 'contacts, or all' })
  @ApiOkResponse({ schema: CUSTOMER_ENVELOPE_SCHEMA, headers: ETAG_RESPONSE_HEADERS })
  @ApiIfNoneMatch()
  @ApiDeskErrors('notFound')
  @RespondRead(CUSTOMER)
  get(@CurrentPrincipal() principal: Principal, @IdParam() id: number) {
    return this.customers.getById(principal, id);
  }

  @Put('customers/:id.json')
  @ApiOperation({ summary: 'Replace a customer: omitted properties are cleared, unlisted contacts removed' })
  @ApiOkResponse({ schema: CUSTOMER_ENVELOPE_SCHEMA, headers: ETAG_RESPONSE_HEADERS })
  @ApiIfMatch()
  @ApiDeskErrors('notFound', 'conflict')
  @RespondOne(CUSTOMER)
  replace(
    @CurrentPrincipal() principal: Principal,
    @IdParam() id: number,
    @DeskBody(CustomerInputDto, 'customer') body: CustomerInputDto,
    @IfMatch() expected: ExpectedVersions | undefined,
  ) {
    return this.customers.replace(principal, id, body, expected);
  }

  @Patch('customers/:id.json')
  @ApiOperation({
    summary: 'Update a customer: omitted properties are unchanged',
    description: '`contacts` entries with id change that contact (removed with "delete": true); without id they are added.',
  })
  @ApiOkResponse({ schema: CUSTOMER_ENVELOPE_SCHEMA, headers: ETAG_RESPONSE_HEADERS })
  @ApiIfMatch()
  @ApiDeskErrors('notFound', 'conflict')
  @RespondOne(CUSTOMER)
  update(
    @CurrentPrincipal() principal: Principal,
    @IdParam() id: number,
    @DeskBody(CustomerInputDto, 'customer') body: CustomerInputDto,
    @IfMatch() expected: ExpectedVersions | undefined,
  ) {
    return this.customers.update(principal, id, body, expected);
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
