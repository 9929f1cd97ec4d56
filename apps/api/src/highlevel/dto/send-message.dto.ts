import { ArrayMaxSize, IsArray, IsEmail, IsIn, IsNotEmpty, IsNumber, IsOptional, IsString, MaxLength } from 'class-validator';

// Every channel HighLevel's SendMessageBodyDto names; this service delivers the last two.
export const SEND_MESSAGE_TYPES = ['SMS', 'Email', 'WhatsApp', 'IG', 'FB', 'Custom', 'Live_Chat'] as const;
export const DELIVERABLE_TYPES = ['Live_Chat', 'Custom'] as const;
export type SendMessageType = (typeof SEND_MESSAGE_TYPES)[number];

// HighLevel's SendMessageBodyDto, plus `conversationId`. The fields of channels this service does
// not carry (email headers, numbers, templates) are accepted, as HighLevel's clients send them,
// and have no effect; `scheduledTimestamp` is refused rather than ignored (a message would go now).
export class SendMessageDto {
  @IsIn(SEND_MESSAGE_TYPES)
  type: SendMessageType;

  @IsString()
  @IsNotEmpty()
  contactId: string;

  @IsOptional()
  @IsString()
  @IsNotEmpty()
  conversationId?: string;

  @IsOptional()
  @IsString()
  @MaxLength(65_536)
  message?: string;

  @IsOptional()
  @IsArray()
  @ArrayMaxSize(20)
  @IsString({ each: true })
  attachments?: string[];

  @IsOptional()
  @IsNumber()
  scheduledTimestamp?: number;

  @IsOptional() @IsString() appointmentId?: string;
  @IsOptional() @IsString() conversationProviderId?: string;
  @IsOptional() @IsString() html?: string;
  @IsOptional() @IsString() subject?: string;
  @IsOptional() @IsString() replyMessageId?: string;
  @IsOptional() @IsString() templateId?: string;
  @IsOptional() @IsString() threadId?: string;
  @IsOptional() @IsString() fromNumber?: string;
  @IsOptional() @IsString() toNumber?: string;
  @IsOptional() @IsEmail() emailFrom?: string;
  @IsOptional() @IsEmail() emailTo?: string;
  @IsOptional() @IsArray() @IsEmail({}, { each: true }) emailCc?: string[];
  @IsOptional() @IsArray() @IsEmail({}, { each: true }) emailBcc?: string[];
  @IsOptional() @IsIn(['reply', 'reply_all']) emailReplyMode?: string;
}
