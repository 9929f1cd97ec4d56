import { CreateSettingDto, EmailListField, NameField, OptionalEmailField } from './setting.dto';

export class CreateInboxDto extends CreateSettingDto {
  @OptionalEmailField()
  email?: string | null;

  // Other addresses the inbox's notifications may be sent from.
  @EmailListField()
  aliases?: string[];
}

export class UpdateInboxDto extends CreateInboxDto {
  @NameField({ required: false })
  override name: string;
}
