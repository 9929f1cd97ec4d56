const MAX_FILENAME_LENGTH = 255;
const MAX_EXTENSION_LENGTH = 16;
const FALLBACK_FILENAME = 'file';
const DEFAULT_MIME_TYPE = 'application/octet-stream';

// Controls (C0, DEL, C1), the byte-order mark, and the bidirectional marks that make a name read
// as something it is not ("invoice\u202Efdp.exe" shows as "invoiceexe.pdf").
const UNSAFE_CHARACTERS = /[\p{Cc}\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff]/gu;

// RFC 9110 token characters: `type/subtype`, lower case, parameters dropped.
const TOKEN = "[!#$%&'*+.^_`|~0-9a-z-]+";
const MIME_TYPE = new RegExp(`^${TOKEN}/${TOKEN}$`);

// The name a download is offered under: the last path segment of what the client sent, without
// controls, at most 255 characters (the extension kept when the name is cut).
export function sanitizeFilename(raw: string | undefined): string {
  const base = (raw ?? '').split(/[/\\]/).pop() ?? '';
  const name = base.normalize('NFC').replace(UNSAFE_CHARACTERS, '').trim();
  if (name === '' || name === '.' || name === '..') return FALLBACK_FILENAME;
  const characters = [...name];
  if (characters.length <= MAX_FILENAME_LENGTH) return name;
  const dot = name.lastIndexOf('.');
  const extension = dot > 0 ? [...name.slice(dot)] : [];
  if (extension.length === 0 || extension.length > MAX_EXTENSION_LENGTH) return characters.slice(0, MAX_FILENAME_LENGTH).join('');
  return characters.slice(0, MAX_FILENAME_LENGTH - extension.length).join('') + extension.join('');
}

export function sanitizeMimeType(raw: string | undefined): string {
  const type = (raw ?? '').split(';')[0].trim().toLowerCase();
  return type.length <= 127 && MIME_TYPE.test(type) ? type : DEFAULT_MIME_TYPE;
}

// Always `attachment`, never `inline`: an uploaded page is saved, not rendered. `filename` is an
// ASCII stand-in for old clients; `filename*` (RFC 6266 / 8187) carries the real name.
export function attachmentDisposition(filename: string): string {
  const ascii = filename.replace(/[^\x20-\x7e]|["\\%]/g, '_');
  const encoded = encodeURIComponent(filename).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encoded}`;
}
