import { Messages, OptionalEntityId, ReadOnlyAuditFieldsDto } from '@app/common';
import { Allow, IsDefined, IsIn, IsNotEmpty, IsString, MaxLength, ValidateBy, ValidateIf, isEmail } from 'class-validator';
import { cleaned } from '../../contacts/dto/customer-contact-input.dto';
import { CONTACT_TYPES, ContactType } from '../../contacts/customer-contact.entity';
import { Transform } from 'class-transformer';

// An email contact's value must be an email address.
const IsValidForContactType = () =>
  ValidateBy({
    name: 'isValidForContactType',
    validator: {
      validate: (value, args) => (args?.object as ContactInputDto).type !== 'email' || isEmail(value),
      defaultMessage: () => Messages.email,
    },
  });

// The conversation's customer contact: an existing one by `id`, or found or created by type and value.
export class ContactInputDto extends ReadOnlyAuditFieldsDto {
  @OptionalEntityId()
  id?: number;

  @ValidateIf((contact: ContactInputDto) => contact.id === undefined)
  @IsDefined({ message: Messages.required })
  @IsIn(CONTACT_TYPES, { message: Messages.oneOf(CONTACT_TYPES) })
  type?: ContactType;

  @ValidateIf((contact: ContactInputDto) => contact.id === undefined)
  @Transform(cleaned)
  @IsDefined({ message: Messages.required })
  @IsString({ message: Messages.string })
  // Empty once cleaned (nothing but invisibles) is no value.
  @IsNotEmpty({ message: Messages.required })
  @MaxLength(320, { message: Messages.shorterThan(321) })
  @IsValidForContactType()
  value?: string;

  // Read-only fields of a CustomerContact a client may echo back; ignored.
  @Allow() isMain?: unknown;
  @Allow() customer?: unknown;
}
