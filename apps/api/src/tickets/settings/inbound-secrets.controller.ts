import { Controller, Post } from '@nestjs/common';
import { ApiBasicAuth, ApiBearerAuth, ApiCreatedResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiDeskErrors, IdParam } from '@app/common';
import { AdminOnly } from '../../auth/admin-only.decorator';
import { CurrentPrincipal } from '../../auth/current-principal.decorator';
import { Principal } from '../../auth/principal';
import { INBOUND_SECRET_ENVELOPE_SCHEMA } from './inbound-secrets.openapi';
import { InboundSecretsService } from './inbound-secrets.service';

// POST /desk/api/v2/inboxes/{id}/inboundsecret.json: the inbox's secret for inbound email.
@ApiTags('inboxes')
@ApiBearerAuth()
@ApiBasicAuth()
@Controller('desk/api/v2')
export class InboundSecretsController {
  constructor(private readonly secrets: InboundSecretsService) {}

  @Post('inboxes/:id/inboundsecret.json')
  @AdminOnly('only an admin may issue an inbox’s inbound email secret')
  @ApiOperation({
    summary: "Issue the inbox's inbound email secret",
    description: 'The secret is in this answer only. Issuing again replaces the previous secret at once.',
  })
  @ApiCreatedResponse({ schema: INBOUND_SECRET_ENVELOPE_SCHEMA })
  @ApiDeskErrors('notFound')
  async issue(@CurrentPrincipal() principal: Principal, @IdParam() id: number) {
    return { inboundSecret: await this.secrets.issue(principal, id) };
  }
}
