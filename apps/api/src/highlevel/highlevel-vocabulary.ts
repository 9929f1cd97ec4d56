// HighLevel's names and numbers, as its public API documentation lists them: what the presenters
// write and the OpenAPI document's enums name.

// HighLevel's message types in the order of its enum, whose position (from 1) is the numeric
// `type` its API sends alongside the name (TYPE_CALL is 1, TYPE_LIVE_CHAT 29).
export const MESSAGE_TYPES = [
  'TYPE_CALL',
  'TYPE_SMS',
  'TYPE_EMAIL',
  'TYPE_SMS_REVIEW_REQUEST',
  'TYPE_WEBCHAT',
  'TYPE_SMS_NO_SHOW_REQUEST',
  'TYPE_CAMPAIGN_SMS',
  'TYPE_CAMPAIGN_CALL',
  'TYPE_CAMPAIGN_EMAIL',
  'TYPE_CAMPAIGN_VOICEMAIL',
  'TYPE_FACEBOOK',
  'TYPE_CAMPAIGN_FACEBOOK',
  'TYPE_CAMPAIGN_MANUAL_CALL',
  'TYPE_CAMPAIGN_MANUAL_SMS',
  'TYPE_GMB',
  'TYPE_CAMPAIGN_GMB',
  'TYPE_REVIEW',
  'TYPE_INSTAGRAM',
  'TYPE_WHATSAPP',
  'TYPE_CUSTOM_SMS',
  'TYPE_CUSTOM_EMAIL',
  'TYPE_CUSTOM_PROVIDER_SMS',
  'TYPE_CUSTOM_PROVIDER_EMAIL',
  'TYPE_IVR_CALL',
  'TYPE_ACTIVITY_CONTACT',
  'TYPE_ACTIVITY_INVOICE',
  'TYPE_ACTIVITY_PAYMENT',
  'TYPE_ACTIVITY_OPPORTUNITY',
  'TYPE_LIVE_CHAT',
  'TYPE_LIVE_CHAT_INFO_MESSAGE',
  'TYPE_ACTIVITY_APPOINTMENT',
  'TYPE_FACEBOOK_COMMENT',
  'TYPE_INSTAGRAM_COMMENT',
  'TYPE_CUSTOM_CALL',
  'TYPE_INTERNAL_COMMENT',
  'TYPE_ACTIVITY_EMPLOYEE_ACTION_LOG',
] as const;

// What the message columns hold (the service writes only these).
export const MESSAGE_STATUSES = ['pending', 'sent', 'delivered', 'read', 'failed'] as const;
export const MESSAGE_SOURCES = ['api', 'app'] as const;
export type MessageType = (typeof MESSAGE_TYPES)[number];

// A conversation's channel: the number GET shows, and the name search shows.
export const CONVERSATION_TYPES: Record<number, string> = {
  1: 'TYPE_PHONE',
  2: 'TYPE_EMAIL',
  3: 'TYPE_FB_MESSENGER',
  4: 'TYPE_REVIEW',
  5: 'TYPE_GROUP_SMS',
  6: 'TYPE_INTERNAL_CHAT',
};
