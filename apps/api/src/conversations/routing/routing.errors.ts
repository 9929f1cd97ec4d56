export enum RoutingErrorCode {
  TeamNotFound = 'TEAM_NOT_FOUND',
  TeamNameTaken = 'TEAM_NAME_TAKEN',
  TeamDeleted = 'TEAM_DELETED',
}
