import { Messages, OptionalEntityId, ReadOnlyAuditFieldsDto } from '@app/common';
import { Allow, IsDefined, IsIn, ValidateIf } from 'class-validator';
import { ContactValue } from '../../contacts/dto/customer-contact-input.dto';
import { CONTACT_TYPES, ContactType } from '../../contacts/customer-contact.entity';

// The conversation's customer contact: an existing one by `id`, or found or created by type and value.
export class ContactInputDto extends ReadOnlyAuditFieldsDto {
  @OptionalEntityId()
  id?: number;

  @ValidateIf((contact: ContactInputDto) => contact.id === undefined)
  @IsDefined({ message: Messages.required })
  @IsIn(CONTACT_TYPES, { message: Messages.oneOf(CONTACT_TYPES) })
  type?: ContactType;

  @ValidateIf((contact: ContactInputDto) => contact.id === undefined)
  @ContactValue()
  value?: string;

  // Read-only fields of a CustomerContact a client may echo back; ignored.
  @Allow() isMain?: unknown;
  @Allow() customer?: unknown;
}
