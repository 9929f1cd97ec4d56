import { sanitizeHtml } from './html-sanitizer';

describe('sanitizeHtml', () => {
  it('should keep formatting and safe links, and re-escape text', () => {
    expect(sanitizeHtml('<p class="x" style="color:red">Hi <b>there</b> &amp; &lt;you&gt;<br>bye</p>')).toBe(
      '<p>Hi <b>there</b> &amp; &lt;you&gt;<br>bye</p>',
    );
    expect(sanitizeHtml('<a href="https://example.com/?a=1&amp;b=&quot;2">x</a>')).toBe(
      '<a href="https://example.com/?a=1&amp;b=&quot;2" rel="noopener noreferrer nofollow">x</a>',
    );
    expect(sanitizeHtml('<table><tr><td colspan="2" onclick="x()">a</td></tr></table>')).toBe('<table><tr><td colspan="2">a</td></tr></table>');
  });

  it('should drop scripts, styles, handlers, dangerous links and unknown tags with what they hold', () => {
    const dirty =
      '<div onclick="steal()">a<script>alert(1)<br></script><style>p{}</style><img src=x onerror=alert(1)>' +
      '<a href="java\tscript:alert(1)">b</a><a href="data:text/html,x">c</a><iframe src="https://e"><p>in</p></iframe>' +
      '<svg><script>alert(2)</script><br/></svg><form><input value="x"></form>d</div>';
    const clean = sanitizeHtml(dirty);
    expect(clean).toBe('<div>a<a>b</a><a>c</a>d</div>');
    expect(clean).not.toMatch(/script|onerror|onclick|javascript|iframe|img|svg|data:/i);
  });

  it('should close what the mail left open and ignore stray closing tags', () => {
    expect(sanitizeHtml('<ul><li>one<li>two</ul></span><p><i>x')).toBe('<ul><li>one</li><li>two</li></ul><p><i>x</i></p>');
  });
});
