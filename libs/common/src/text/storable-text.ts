// PostgreSQL's text cannot hold NUL, and a lone UTF-16 surrogate has no UTF-8 form: text with
// either is refused at the door (HTTP bodies) or cleaned (Pusher's client events, which nobody can
// answer with a 400). The one definition of what text can be stored.
const UNSTORABLE_SOURCE = String.raw`\0|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]`;
const UNSTORABLE = new RegExp(UNSTORABLE_SOURCE);
const UNSTORABLE_ALL = new RegExp(UNSTORABLE_SOURCE, 'g');

export function hasUnstorableText(text: string): boolean {
  return UNSTORABLE.test(text);
}

// NULs and lone surrogates replaced by U+FFFD, as a UTF-8 decoder would.
export function toStorableText(text: string): string {
  return text.replace(UNSTORABLE_ALL, '\uFFFD');
}
