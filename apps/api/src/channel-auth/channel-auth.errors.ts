export enum ChannelAuthErrorCode {
  // PUSHER_APP_ID, PUSHER_KEY or PUSHER_SECRET is not set: no channel can be authorised.
  NotConfigured = 'PUSHER_NOT_CONFIGURED',
  // Every refused channel authorisation, whatever the reason, so the answer reveals nothing.
  ChannelForbidden = 'CHANNEL_FORBIDDEN',
}
