import { CountryCode, isSupportedCountry, parsePhoneNumberFromString } from 'libphonenumber-js';

// A region of libphonenumber-js's metadata (ISO 3166-1 alpha-2: `GB`, `US`): national-format phone
// numbers are read as numbers of this region.
export type PhoneRegion = CountryCode;

export const isPhoneRegion = (value: unknown): value is PhoneRegion => typeof value === 'string' && isSupportedCountry(value);

export const PHONE_CONTACT_TYPES: readonly string[] = ['phone', 'mobile'];

// Invisible characters: format characters (Cf: zero-width spaces and joiners, bidi marks and
// embeddings, soft hyphen, BOM), controls, and the other default-ignorable code points (variation
// selectors, Hangul fillers). Two values that differ only by them look the same to a person.
const INVISIBLE = /[\p{Cf}\p{Cc}\p{Default_Ignorable_Code_Point}]/gu;

// What every contact value goes through first: invisibles removed, Unicode NFKC (fullwidth
// `ｕ＠ｅｘ．ｃｏｍ` is `u@ex.com`, a ligature its letters), trimmed. Invisibles are removed before
// NFKC so that letters they separated compose, and after, as compatibility forms may map to one.
export function cleanContactText(value: string): string {
  return value.replace(INVISIBLE, '').normalize('NFKC').replace(INVISIBLE, '').trim();
}

export function normalizeEmail(value: string): string {
  return cleanContactText(value).toLowerCase();
}

// E.164 (`+15550100`), with `;ext=12` when the number has an extension; null when the text is not
// a phone number libphonenumber-js can read (letters around it, too short or too long). A number
// given with its country code (`+…`) is taken as written, not checked against that country's
// number plan, which changes. One without is read in `region`, and only when its length fits that
// region's numbers: without a region, or `12` in the US, it is not a phone number.
export function normalizePhone(value: string, region: PhoneRegion | null): string | null {
  const text = cleanContactText(value);
  const parsed = parsePhoneNumberFromString(text, { defaultCountry: region ?? undefined, extract: false });
  if (!parsed || (!text.startsWith('+') && !parsed.isPossible())) return null;
  return parsed.ext ? `${parsed.number};ext=${parsed.ext}` : parsed.number;
}

// The one form in which a contact value is stored and compared: emails lower-cased, phone and
// mobile numbers in E.164, other types (facebook, twitter, other) cleaned only. Null for a phone
// or mobile number that cannot be read (the caller decides: a 400, or the value left as it is).
export function normalizeContactValue(type: string, value: string, region: PhoneRegion | null): string | null {
  if (type === 'email') return normalizeEmail(value);
  if (PHONE_CONTACT_TYPES.includes(type)) return normalizePhone(value, region);
  return cleanContactText(value);
}

// For a filter over values of any type (`contacts.value`): cleaned and lower-cased, as the unique
// index compares; an international phone number (`+…`, nothing but a phone's characters) in E.164.
export function normalizeContactQuery(value: string): string {
  const text = cleanContactText(value).toLowerCase();
  if (!/^\+[\d\s().-]+$/.test(text)) return text;
  return normalizePhone(text, null) ?? text;
}

export const unreadablePhoneMessage = (region: PhoneRegion | null) =>
  region
    ? `is not a phone number: give it in international format (+…) or as a national number of ${region}`
    : "is not a phone number: give it in international format (+…); national numbers need the tenant's default phone region";

// The normalisation of one tenant: its phone region decided once per request.
export class ContactNormalizer {
  constructor(readonly region: PhoneRegion | null) {}

  value(type: string, value: string): string | null {
    return normalizeContactValue(type, value, this.region);
  }

  get unreadablePhone(): string {
    return unreadablePhoneMessage(this.region);
  }
}
