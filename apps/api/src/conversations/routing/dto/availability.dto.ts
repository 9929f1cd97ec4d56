import { Messages } from '@app/common';
import { IsDefined, IsIn } from 'class-validator';
import { USER_AVAILABILITIES, UserAvailability } from '../../../auth/user.entity';

// PATCH /me.json: the caller's own availability, the one property an agent sets on themself.
export class UpdateAvailabilityDto {
  @IsDefined({ message: Messages.required })
  @IsIn(USER_AVAILABILITIES, { message: Messages.oneOf(USER_AVAILABILITIES) })
  availability: UserAvailability;
}
