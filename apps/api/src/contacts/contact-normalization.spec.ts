import {
  cleanContactText,
  isPhoneRegion,
  normalizeContactQuery,
  normalizeContactValue,
  normalizeEmail,
  normalizePhone,
} from './contact-normalization';

describe('contact normalization', () => {
  describe(cleanContactText.name, () => {
    it.each([
      ['a zero-width space', 'uniq\u200b@ex.com'],
      ['zero-width joiner and non-joiner', 'un\u200ciq\u200d@ex.com'],
      ['bidi marks', '\u200euniq@ex.com\u200f'],
      ['bidi embeddings and isolates', '\u202auniq\u2066@ex.com\u2069\u202c'],
      ['a soft hyphen', 'un\u00adiq@ex.com'],
      ['a BOM and a word joiner', '\ufeffuniq\u2060@ex.com'],
      ['a Hangul filler and a variation selector', 'uniq\u3164\ufe0f@ex.com'],
      ['fullwidth letters and signs', 'ｕｎｉｑ＠ｅｘ．ｃｏｍ'],
      ['surrounding spaces, tabs and no-break spaces', ' \t\u00a0uniq@ex.com\u3000 '],
    ])('should remove %s', (_what, value) => {
      expect(cleanContactText(value)).toBe('uniq@ex.com');
    });

    it('should compose letters that an invisible character separated, and keep case', () => {
      expect(cleanContactText('Ame\u200b\u0301lie')).toBe('Amélie');
      expect(cleanContactText('ﬁne')).toBe('fine');
    });
  });

  describe(normalizeEmail.name, () => {
    it('should lower-case the whole address after cleaning it', () => {
      expect(normalizeEmail(' ＵＮＩＱ@Ex.Com\u200b')).toBe('uniq@ex.com');
    });
  });

  describe(normalizePhone.name, () => {
    it.each([
      ['+1 555 0100', null, '+15550100'],
      ['+15550100', null, '+15550100'],
      ['＋１ (555) 0100', null, '+15550100'],
      ['+1\u200b555-0100', null, '+15550100'],
      ['(201) 555-0123', 'US', '+12015550123'],
      ['07700 900123', 'GB', '+447700900123'],
      ['00 44 7700 900123', 'FR', '+447700900123'],
      ['+44 7700 900123', 'US', '+447700900123'],
      ['+1 555 0100 ext. 12', null, '+15550100;ext=12'],
    ] as const)('should read %j (region %s) as %s', (value, region, expected) => {
      expect(normalizePhone(value, region)).toBe(expected);
    });

    it.each([
      ['a national number without a region', '212 555 0100', null],
      ['a national number too short for its region', '555 0100', 'US'],
      ['words', 'call reception', 'US'],
      ['words around a number', 'call +1 555 0100 now', null],
      ['one digit', '1', 'US'],
      ['an unknown country code', '+999 123', null],
      ['too many digits', '+1 2345678901234567890', null],
    ] as const)('should not read %s', (_what, value, region) => {
      expect(normalizePhone(value, region)).toBeNull();
    });
  });

  describe(normalizeContactValue.name, () => {
    it('should normalise by type: emails lower-cased, phones and mobiles in E.164, the rest cleaned', () => {
      expect(normalizeContactValue('email', 'A\u200b@B.c', null)).toBe('a@b.c');
      expect(normalizeContactValue('phone', '+1 555 0100', null)).toBe('+15550100');
      expect(normalizeContactValue('mobile', '212 555 0100', 'US')).toBe('+12125550100');
      expect(normalizeContactValue('mobile', '212 555 0100', null)).toBeNull();
      expect(normalizeContactValue('twitter', ' @Someone\u200e', null)).toBe('@Someone');
    });

    it('should give its own result back unchanged (idempotent)', () => {
      for (const [type, value] of [
        ['email', 'ＵＮＩＱ\u00ad@ex.com'],
        ['phone', '+44 (0) 7700 900123 x5'],
        ['other', '\u202eＳｋｙｐｅ: ａｂｃ'],
      ]) {
        const once = normalizeContactValue(type, value, 'GB')!;
        expect(normalizeContactValue(type, once, 'GB')).toBe(once);
      }
    });
  });

  describe(normalizeContactQuery.name, () => {
    it('should clean and lower-case any value, and put international phone numbers in E.164', () => {
      expect(normalizeContactQuery('UNIQ\u200b@ex.com')).toBe('uniq@ex.com');
      expect(normalizeContactQuery('+1 (555) 0100')).toBe('+15550100');
      expect(normalizeContactQuery('@Handle')).toBe('@handle');
      expect(normalizeContactQuery('555 0100')).toBe('555 0100');
    });
  });

  describe(isPhoneRegion.name, () => {
    it('should accept the regions libphonenumber-js knows, upper case only', () => {
      expect(['GB', 'US', 'FR'].every(isPhoneRegion)).toBe(true);
      expect(['gb', 'XX', 'GBR', '', null].some(isPhoneRegion)).toBe(false);
    });
  });
});
