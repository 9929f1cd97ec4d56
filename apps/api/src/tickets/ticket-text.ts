// Plain-text helpers for what a ticket derives from its messages: the subject when none is given
// and the preview text lists show.

const SUBJECT_EXCERPT = 80;
export const PREVIEW_LENGTH = 200;

const ENTITIES: Record<string, string> = { '&amp;': '&', '&lt;': '<', '&gt;': '>', '&quot;': '"', '&#39;': "'", '&nbsp;': ' ' };

// The text a reader sees: markup dropped from HTML, whitespace collapsed.
export function plainText(message: string, editMethod: 'html' | 'markdown'): string {
  const text =
    editMethod === 'html'
      ? message
          .replace(/<(br|\/p|\/div|\/li)\b[^>]*>/gi, ' ')
          .replace(/<[^>]*>/g, '')
          .replace(/&(amp|lt|gt|quot|#39|nbsp);/g, (entity) => ENTITIES[entity])
      : message;
  return text.replace(/\s+/g, ' ').trim();
}

// At most `max` characters, cut at a word where one is near, marked with an ellipsis when cut.
export function excerpt(text: string, max: number): string {
  const chars = [...text];
  if (chars.length <= max) return text;
  const cut = chars.slice(0, max - 1).join('');
  const space = cut.lastIndexOf(' ');
  return `${(space > max / 2 ? cut.slice(0, space) : cut).trimEnd()}…`;
}

export const subjectFrom = (message: string, editMethod: 'html' | 'markdown' = 'markdown'): string =>
  excerpt(plainText(message, editMethod), SUBJECT_EXCERPT);

export const previewOf = (message: string, editMethod: 'html' | 'markdown'): string => excerpt(plainText(message, editMethod), PREVIEW_LENGTH);

// A message needs words or files: a thread message, and a new ticket's opening one.
export function hasContent(message: string | null | undefined, fileIds: readonly number[]): boolean {
  return (message ?? '').trim() !== '' || fileIds.length > 0;
}
