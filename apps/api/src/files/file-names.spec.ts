import { attachmentDisposition, sanitizeFilename, sanitizeMimeType } from './file-names';

describe(sanitizeFilename.name, () => {
  it.each([
    ['report.pdf', 'report.pdf'],
    ['../../etc/passwd', 'passwd'],
    ['C:\\fakepath\\photo.jpg', 'photo.jpg'],
    ['a\u0000b\u001fc\u007fd\u0085e.txt', 'abcde.txt'],
    ['invoice\u202Efdp.exe', 'invoicefdp.exe'],
    ['  spaced  ', 'spaced'],
    ['', 'file'],
    ['..', 'file'],
    [undefined, 'file'],
    ['e\u0301te\u0301.txt', 'été.txt'],
  ])('should turn %j into %j', (raw, expected) => {
    expect(sanitizeFilename(raw)).toBe(expected);
  });

  it('should cut a long name to 255 characters, keeping a short extension', () => {
    expect(sanitizeFilename(`${'a'.repeat(300)}.docx`)).toBe(`${'a'.repeat(250)}.docx`);
    expect([...sanitizeFilename('😀'.repeat(300))]).toHaveLength(255);
    expect(sanitizeFilename(`x.${'y'.repeat(300)}`)).toHaveLength(255);
  });
});

describe(sanitizeMimeType.name, () => {
  it.each([
    ['image/png', 'image/png'],
    ['TEXT/HTML; charset=UTF-8', 'text/html'],
    ['application/vnd.api+json', 'application/vnd.api+json'],
    ['text', 'application/octet-stream'],
    ['text/plain\r\nX-Evil: 1', 'application/octet-stream'],
    ['image/ png', 'application/octet-stream'],
    [undefined, 'application/octet-stream'],
  ])('should turn %j into %j', (raw, expected) => {
    expect(sanitizeMimeType(raw)).toBe(expected);
  });
});

describe(attachmentDisposition.name, () => {
  it('should always say attachment, with an ASCII stand-in and the exact name in filename*', () => {
    expect(attachmentDisposition('plain.txt')).toBe(`attachment; filename="plain.txt"; filename*=UTF-8''plain.txt`);
    expect(attachmentDisposition(`naïve "quote" 100%(1)*'.txt`)).toBe(
      `attachment; filename="na_ve _quote_ 100_(1)*'.txt"; filename*=UTF-8''na%C3%AFve%20%22quote%22%20100%25%281%29%2A%27.txt`,
    );
  });
});
