import { IsEntityId, Messages, OptionalNotNull } from '@app/common';
import { Transform, Type } from 'class-transformer';
import { Allow, ArrayMaxSize, IsArray, IsDate, IsDefined, IsIn, IsObject, IsOptional, ValidateIf, ValidateNested, isISO8601 } from 'class-validator';
import { ConversationReadOnlyFieldsDto } from './conversation-read-only.dto';
import { CONVERSATION_PRIORITIES, CONVERSATION_STATUSES, ConversationPriority, ConversationStatus } from '../conversation.entity';

export const MAX_LABELS = 100;

// Given, null included: the checks that follow refuse a null (labels' is not an array).
const given = (_dto: object, value: unknown) => value !== undefined;

// A ref of one type, as Teamwork Desk API v2's EntityRef: {"id": 7, "type": "users"}; `type` may
// be left out, never another type.
function refDto(type: string) {
  class RefDto {
    @IsDefined({ message: Messages.required })
    @IsEntityId()
    id: number;

    @IsOptional()
    @IsIn([type], { message: Messages.oneOf([type]) })
    type?: string;

    @Allow() meta?: unknown;
  }
  return RefDto;
}

export const AssigneeRefDto = refDto('users');
export const TeamRefDto = refDto('teams');
export const LabelRefDto = refDto('tags');

// An ISO 8601 time with its zone (Z or an offset) becomes a Date; anything else (a time without a
// zone, which Date would read in the server's own zone) stays as it is, for IsDate to refuse.
const ZONED_TIME = /T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/i;
const toDate = ({ value }: { value: unknown }): unknown =>
  typeof value === 'string' && ZONED_TIME.test(value) && isISO8601(value, { strict: true, strictSeparator: true }) ? new Date(value) : value;

// The workflow's fields of a conversation (docs/api.md, "Conversation workflow"): create and PATCH
// take them; the rules (snoozedUntil in the future, refs the tenant's) are the core's.
export class WorkflowFieldsDto extends ConversationReadOnlyFieldsDto {
  @OptionalNotNull()
  @IsIn(CONVERSATION_STATUSES, { message: Messages.oneOf(CONVERSATION_STATUSES) })
  status?: ConversationStatus;

  // Required with status "snoozed"; null leaves nothing to set.
  @IsOptional()
  @Transform(toDate)
  @IsDate({ message: Messages.date })
  snoozedUntil?: Date | null;

  @OptionalNotNull()
  @IsIn(CONVERSATION_PRIORITIES, { message: Messages.oneOf(CONVERSATION_PRIORITIES) })
  priority?: ConversationPriority;

  // null unassigns.
  @IsOptional()
  @IsObject({ message: Messages.object })
  @ValidateNested()
  @Type(() => AssigneeRefDto)
  assignee?: { id: number } | null;

  // null takes it out of its team.
  @IsOptional()
  @IsObject({ message: Messages.object })
  @ValidateNested()
  @Type(() => TeamRefDto)
  team?: { id: number } | null;

  // Replaces the labels: order kept, repeats dropped.
  @ValidateIf(given)
  @IsArray({ message: Messages.array })
  @ArrayMaxSize(MAX_LABELS, { message: `must have at most ${MAX_LABELS} items` })
  @ValidateNested({ each: true })
  @Type(() => LabelRefDto)
  labels?: { id: number }[];

}
