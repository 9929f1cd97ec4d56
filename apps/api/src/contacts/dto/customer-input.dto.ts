import { Messages, ReadOnlyAuditFieldsDto } from '@app/common';
import { Transform, Type } from 'class-transformer';
import { Allow, ArrayMaxSize, IsArray, IsEmail, IsNotEmpty, IsOptional, IsString, MaxLength, ValidateNested } from 'class-validator';
import { cleaned, CustomerContactInputDto } from './customer-contact-input.dto';

// Teamwork's Customer as a body, for POST, PUT (every field; omitted ones are cleared) and PATCH
// (only the given fields). `email`, `phone` and `mobile` name the main contact of that type.
export class CustomerInputDto extends ReadOnlyAuditFieldsDto {
  @Allow() id?: unknown;

  @IsOptional()
  @IsString({ message: Messages.string })
  @MaxLength(255, { message: Messages.shorterThan(256) })
  firstName?: string | null;

  @IsOptional()
  @IsString({ message: Messages.string })
  @MaxLength(255, { message: Messages.shorterThan(256) })
  lastName?: string | null;

  @IsOptional()
  @Transform(cleaned)
  @IsString({ message: Messages.string })
  @MaxLength(320, { message: Messages.shorterThan(321) })
  @IsEmail({}, { message: Messages.email })
  email?: string | null;

  @IsOptional()
  @Transform(cleaned)
  @IsString({ message: Messages.string })
  @IsNotEmpty({ message: Messages.required })
  @MaxLength(320, { message: Messages.shorterThan(321) })
  phone?: string | null;

  @IsOptional()
  @Transform(cleaned)
  @IsString({ message: Messages.string })
  @IsNotEmpty({ message: Messages.required })
  @MaxLength(320, { message: Messages.shorterThan(321) })
  mobile?: string | null;

  @IsOptional()
  @IsString({ message: Messages.string })
  @MaxLength(255, { message: Messages.shorterThan(256) })
  organization?: string | null;

  @IsOptional()
  @IsString({ message: Messages.string })
  @MaxLength(10_000, { message: Messages.shorterThan(10_001) })
  extraData?: string | null;

  @IsOptional()
  @IsString({ message: Messages.string })
  @MaxLength(10_000, { message: Messages.shorterThan(10_001) })
  notes?: string | null;

  @IsOptional()
  @IsString({ message: Messages.string })
  @MaxLength(2000, { message: Messages.shorterThan(2001) })
  address?: string | null;

  @IsOptional()
  @IsString({ message: Messages.string })
  @MaxLength(255, { message: Messages.shorterThan(256) })
  externalId?: string | null;

  @IsOptional()
  @IsString({ message: Messages.string })
  @MaxLength(255, { message: Messages.shorterThan(256) })
  jobTitle?: string | null;

  @IsOptional()
  @IsArray({ message: Messages.array })
  @ArrayMaxSize(50, { message: 'must have at most 50 items' })
  @ValidateNested({ each: true })
  @Type(() => CustomerContactInputDto)
  contacts?: CustomerContactInputDto[];
}
