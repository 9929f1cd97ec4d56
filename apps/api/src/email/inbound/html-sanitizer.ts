import { Parser } from 'htmlparser2';

// The HTML of a customer's email, made safe to show agents: an allowlist of formatting tags, no
// attribute but a link's http(s)/mailto `href` and a table cell's spans, no script, style, form,
// frame or embedded object (their content dropped with them), every text re-escaped. What is left
// cannot run code or load anything when rendered.
const KEPT = new Set([
  'a', 'abbr', 'b', 'blockquote', 'br', 'caption', 'cite', 'code', 'dd', 'div', 'dl', 'dt', 'em',
  'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'hr', 'i', 'li', 'ol', 'p', 'pre', 'q', 's', 'small', 'span',
  'strike', 'strong', 'sub', 'sup', 'table', 'tbody', 'td', 'tfoot', 'th', 'thead', 'tr', 'u', 'ul',
]);
const VOID = new Set(['br', 'hr']);
// Dropped with everything inside them.
const DROPPED = new Set([
  'script', 'style', 'head', 'title', 'iframe', 'frame', 'frameset', 'object', 'embed', 'applet', 'noscript',
  'template', 'svg', 'math', 'textarea', 'select', 'option', 'button', 'xmp', 'noembed', 'noframes', 'plaintext',
]);
const SAFE_HREF = /^(https?:|mailto:)/i;
const SPAN = /^\d{1,3}$/;

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (char) => ESCAPES[char]);

export function sanitizeHtml(html: string): string {
  const out: string[] = [];
  const open: string[] = [];
  let dropping = 0;
  const parser = new Parser(
    {
      onopentag(name, attributes) {
        // The parser closes every tag it opened (a void one at once), so this depth comes back to 0.
        if (dropping > 0 || DROPPED.has(name)) {
          dropping += 1;
          return;
        }
        if (!KEPT.has(name)) return;
        out.push(`<${name}${attributesOf(name, attributes)}>`);
        if (!VOID.has(name)) open.push(name);
      },
      ontext(text) {
        if (dropping === 0) out.push(escapeHtml(text));
      },
      onclosetag(name) {
        if (dropping > 0) {
          dropping -= 1;
          return;
        }
        const at = open.lastIndexOf(name);
        if (at === -1) return;
        while (open.length > at) out.push(`</${open.pop()}>`);
      },
    },
    { decodeEntities: true, lowerCaseTags: true, lowerCaseAttributeNames: true, recognizeSelfClosing: true },
  );
  parser.write(html);
  parser.end();
  while (open.length > 0) out.push(`</${open.pop()}>`);
  return out.join('');
}

function attributesOf(name: string, attributes: Record<string, string>): string {
  if (name === 'a') {
    // Control characters and spaces inside a scheme ("java\tscript:") are ignored by browsers.
    // eslint-disable-next-line no-control-regex
    const href = (attributes.href ?? '').replace(/[\u0000-\u0020\u007f]/g, '');
    return SAFE_HREF.test(href) ? ` href="${escapeHtml(href)}" rel="noopener noreferrer nofollow"` : '';
  }
  if (name === 'td' || name === 'th') {
    return ['colspan', 'rowspan']
      .filter((key) => SPAN.test(attributes[key] ?? ''))
      .map((key) => ` ${key}="${attributes[key]}"`)
      .join('');
  }
  return '';
}
