import { applyDecorators } from '@nestjs/common';
import { IsEntityId, Messages, ReadOnlyAuditFieldsDto } from '@app/common';
import { Transform } from 'class-transformer';
import {
  Allow,
  IsBoolean,
  IsDefined,
  IsNotEmpty,
  IsOptional,
  IsString,
  MaxLength,
  ValidateBy,
  ValidateIf,
  isEmail,
} from 'class-validator';
import { cleanContactText } from '../contact-normalization';
import { CONTACT_TYPES, ContactType } from '../customer-contact.entity';

// A ref as the API shows it ({"id": 3, "type": "contacts"}) may be sent back: that type means "unchanged".
export const CONTACT_REF_TYPE = 'contacts';

const IsContactType = () =>
  ValidateBy({
    name: 'isContactType',
    validator: {
      validate: (value, args) =>
        (CONTACT_TYPES as readonly unknown[]).includes(value) ||
        (value === CONTACT_REF_TYPE && (args?.object as CustomerContactInputDto).id !== undefined),
      defaultMessage: () => Messages.oneOf(CONTACT_TYPES),
    },
  });

// An email contact's value must be an email address (known here only when the type is given).
const IsValidForContactType = () =>
  ValidateBy({
    name: 'isValidForContactType',
    validator: {
      validate: (value, args) => (args?.object as { type?: unknown }).type !== 'email' || isEmail(value),
      defaultMessage: () => Messages.email,
    },
  });

// Contact values are cleaned (invisibles, NFKC, trimmed) before they are validated, so that
// `ｕｎｉｑ＠ｅｘ．ｃｏｍ` is checked as the address it stands for; the service normalises the rest.
export const cleaned = ({ value }: { value: unknown }) => (typeof value === 'string' ? cleanContactText(value) : value);

// A contact's `value` wherever one is sent (a customer's contacts, a conversation's contact):
// cleaned, then required, a string, not empty once cleaned, and an address for an email. Listed in
// the order stacked decorators would apply them, bottom first.
export const ContactValue = () =>
  applyDecorators(
    IsValidForContactType(),
    MaxLength(320, { message: Messages.shorterThan(321) }),
    // Empty once cleaned (nothing but invisibles) is no value.
    IsNotEmpty({ message: Messages.required }),
    IsString({ message: Messages.string }),
    IsDefined({ message: Messages.required }),
    Transform(cleaned),
  );

// One entry of a customer's `contacts`: with `id`, that contact (changed, or removed with
// `"delete": true`); without, a contact to add.
export class CustomerContactInputDto extends ReadOnlyAuditFieldsDto {
  @ValidateIf((contact: CustomerContactInputDto) => contact.id !== undefined || contact.delete === true)
  @IsDefined({ message: Messages.required })
  @IsEntityId()
  id?: number;

  @ValidateIf((contact: CustomerContactInputDto) => isNew(contact) || contact.type !== undefined)
  @IsDefined({ message: Messages.required })
  @IsContactType()
  type?: ContactType | typeof CONTACT_REF_TYPE;

  @ValidateIf((contact: CustomerContactInputDto) => isNew(contact) || contact.value !== undefined)
  @ContactValue()
  value?: string;

  @IsOptional()
  @IsBoolean({ message: Messages.boolean })
  isMain?: boolean;

  @IsOptional()
  @IsBoolean({ message: Messages.boolean })
  delete?: boolean;

  // Read-only parts of a CustomerContact (or an EntityRef) a client may echo back; ignored.
  @Allow() customer?: unknown;
  @Allow() meta?: unknown;
}

function isNew(contact: CustomerContactInputDto): boolean {
  return contact.id === undefined && contact.delete !== true;
}
