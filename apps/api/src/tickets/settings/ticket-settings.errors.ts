// One set of codes for every ticket setting (inboxes … templates); the message names the kind.
export enum SettingErrorCode {
  NotFound = 'SETTING_NOT_FOUND',
  // Active names are unique per tenant and kind, without regard to case.
  NameTaken = 'SETTING_NAME_TAKEN',
  // The tenant must always have a default inbox and a default status.
  DefaultRequired = 'SETTING_DEFAULT_REQUIRED',
  // A deleted setting is read-only.
  Deleted = 'SETTING_DELETED',
  // Two requests changed the tenant's default at once; nothing was written.
  ConcurrentUpdate = 'CONCURRENT_UPDATE',
}
