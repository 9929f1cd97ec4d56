// Route config of the routes that check a signature over the body's bytes before anything reads
// them (the Pusher webhook): the JSON parser keeps their bytes in `request.rawBody` and leaves them
// unparsed, for the route to parse once it trusts them.
export const RAW_BODY_ROUTE = { rawBodyOnly: true } as const;

export function isRawBodyRoute(config: unknown): boolean {
  return (config as { rawBodyOnly?: boolean } | undefined)?.rawBodyOnly === true;
}
