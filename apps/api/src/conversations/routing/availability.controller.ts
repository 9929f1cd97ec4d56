import { Controller, Patch } from '@nestjs/common';
import { ApiBasicAuth, ApiBearerAuth, ApiBody, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { SchemaObject } from '@nestjs/swagger/dist/interfaces/open-api-spec.interface';
import { ApiDeskErrors, DeskBody } from '@app/common';
import { CurrentPrincipal } from '../../auth/current-principal.decorator';
import { Principal } from '../../auth/principal';
import { USER_AVAILABILITIES } from '../../auth/user.entity';
import { ME_SCHEMA } from '../../auth/user.openapi';
import { ME } from '../../auth/user.resource';
import { RespondOne } from '../../http/resource.decorators';
import { UpdateAvailabilityDto } from './dto/availability.dto';
import { AvailabilityService } from './availability.service';

const FIELDS: SchemaObject = { type: 'object', required: ['availability'], properties: { availability: { type: 'string', enum: [...USER_AVAILABILITIES] } } };
const BODY: SchemaObject = { oneOf: [{ type: 'object', required: ['user'], properties: { user: FIELDS } }, FIELDS] };

// PATCH /desk/api/v2/me.json: an agent's own availability. Here rather than in auth's users
// controller because becoming available routes the agent's teams, which is this module's.
@ApiTags('users')
@ApiBearerAuth()
@ApiBasicAuth()
@Controller('desk/api/v2')
export class AvailabilityController {
  constructor(private readonly availability: AvailabilityService) {}

  @Patch('me.json')
  @ApiOperation({
    summary: "Set the caller's availability",
    description: 'available, away or offline. Presence on presence-tenant-{tenantId} moves it too. Becoming available routes the teams the agent belongs to.',
  })
  @ApiBody({ schema: BODY })
  @ApiOkResponse({ schema: ME_SCHEMA })
  @ApiDeskErrors()
  @RespondOne(ME)
  update(@CurrentPrincipal() principal: Principal, @DeskBody(UpdateAvailabilityDto, 'user') body: UpdateAvailabilityDto) {
    return this.availability.setOwn(principal, body.availability);
  }
}
