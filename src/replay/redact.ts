import { getEntry, getScalar, isKvList, scalarToString, type KvList } from '../esp/kvlist.js';
import { parametersOf } from './extract-requests.js';
import type { EspRequest } from '../esp/model.js';
import { maskIdentifier } from '../sessions/masking.js';
import { PHONE_NUMBER_EXAMPLE_PHRASE } from '../esp/phone-number.js';

/** Phrases of the gateway's own fault sentences that look like personal data but are not. */
const GATEWAY_PHRASES = [PHONE_NUMBER_EXAMPLE_PHRASE];

/** User-data keys that usually hold a person's name, number or address (not `StoreName`). */
const PERSONAL_USER_DATA_KEY = /phone|mobile|msisdn|^ani$|e-?mail|(first|last|full|customer|contact|client)_?name|^name$|address/i;
const PHONE_NUMBER = /\+\d{7,15}\b/g;
const EMAIL_ADDRESS = /\b([A-Za-z0-9._%+-])[A-Za-z0-9._%+-]*@([A-Za-z0-9.-]+\.[A-Za-z]{2,})\b/g;

/** Shorter values would mask ordinary words. */
const SHORTEST_MASKED_VALUE = 3;

/**
 * Masks one request's personal data in report text: the values it carries (client id, `Contact` and
 * `Agent` fields, personal user data) wherever they appear, then any phone number or e-mail address
 * left. Phone numbers keep their last four digits (as `GET /sessions` shows them), names their
 * first letter, so a reader can still tell rows apart.
 */
export class Redactor {
  private readonly replacements: [string, string][];

  constructor(request: EspRequest | undefined) {
    const values = request ? personalValues(request) : [];
    const unique = [...new Set(values)].filter((value) => value.length >= SHORTEST_MASKED_VALUE);
    // Longest first, so "Ana Silva" is masked whole before "Ana" is.
    this.replacements = unique.sort((a, b) => b.length - a.length).map((value) => [value, maskValue(value)]);
  }

  text(text: string): string;
  text(text: string | undefined): string | undefined;
  text(text: string | undefined): string | undefined {
    if (text === undefined) return undefined;
    let masked = text;
    for (const [value, mask] of this.replacements) masked = masked.split(value).join(mask);
    return masked
      .replace(PHONE_NUMBER, (number) => maskIdentifier(number))
      .replace(EMAIL_ADDRESS, (_address, first: string, domain: string) => `${first}***@${domain}`);
  }

  /**
   * A FaultString: customer data in it is masked as in `text`, the gateway's own example phrases
   * (`such as +15551230001`) are kept, or a reader would take them for a leaked number.
   */
  faultString(text: string): string {
    const pieces = splitAround(text, GATEWAY_PHRASES);
    return pieces.map((piece, index) => (index % 2 === 1 ? piece : this.text(piece))).join('');
  }
}

/** `text` cut at every occurrence of the phrases: even indexes are the text between, odd ones a phrase. */
function splitAround(text: string, phrases: string[]): string[] {
  const escaped = phrases.map((phrase) => phrase.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  return text.split(new RegExp(`(${escaped.join('|')})`));
}

/** A phone number keeps its last four digits; anything else its first character. */
export function maskValue(value: string): string {
  if (/^\+?[\d\s().-]{7,}$/.test(value)) return maskIdentifier(value);
  return value[0] + '*'.repeat(Math.max(2, value.length - 1));
}

function personalValues(request: EspRequest): string[] {
  const parameters = parametersOf(request);
  const clientId = getScalar(parameters, '_umsClientId');
  return [
    ...(clientId === undefined ? [] : [clientId]),
    ...scalarsOf(getEntry(parameters, 'Contact')),
    ...scalarsOf(getEntry(parameters, 'Agent')),
    ...personalUserData(request.userData),
  ];
}

function scalarsOf(value: ReturnType<typeof getEntry>): string[] {
  if (!isKvList(value)) return [];
  return Object.values(value).flatMap((entry) => (isKvList(entry) ? scalarsOf(entry) : [scalarToString(entry)]));
}

function personalUserData(userData: KvList | undefined): string[] {
  if (!userData) return [];
  return Object.keys(userData).flatMap((key) => {
    const value = userData[key]!;
    if (isKvList(value)) return personalUserData(value);
    return PERSONAL_USER_DATA_KEY.test(key) ? [scalarToString(value)] : [];
  });
}
