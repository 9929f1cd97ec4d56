import { Allow } from 'class-validator';
import { ReadOnlyAuditFieldsDto } from '@app/common';
import { ColorField, NameField } from './setting.dto';

export const TAG_NAME_MAX_LENGTH = 100;

export class CreateTagDto extends ReadOnlyAuditFieldsDto {
  @Allow() id?: unknown;

  @NameField({ required: true, maxLength: TAG_NAME_MAX_LENGTH })
  name: string;

  @ColorField()
  color?: string | null;
}

export class UpdateTagDto extends CreateTagDto {
  @NameField({ required: false, maxLength: TAG_NAME_MAX_LENGTH })
  override name: string;
}
