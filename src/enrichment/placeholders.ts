import { getEntry, isKvList, type KvList, type KvValue } from '../esp/kvlist.js';

/** What an enrichment lookup may read from the invite (docs/protocol.md#enrichment). */
export interface EnrichmentInput {
  /** `_umsClientId`: the customer's phone number or opaque id, read as `{contact.source}`. */
  clientId: string;
  /** The invite's `Contact` list, read as `{contact.<Field>}`. */
  contact: KvList;
  /** The interaction's attached data, read as `{userData.<Key>}`. */
  userData: KvList;
}

/** An expected lookup failure: its message is shown to operators, so it names fields, never values. */
export class EnrichmentError extends Error {
  override readonly name = 'EnrichmentError';
  readonly code = 'ENRICHMENT.FAILED';
}

/**
 * `{contact.X}` and `{userData.X}`. The key runs to the first `}`, so attached-data keys holding dots
 * or spaces (`{userData.crm.account id}`) need no quoting. Other braces are left alone: they may be
 * literal text of the CRM's own URL or header syntax.
 */
const PLACEHOLDER = /\{(contact|userData)\.([^}]+)\}/g;

/**
 * Replaces the placeholders of a configured string with the invite's values. `encode` is applied to
 * each inserted value (not to the template), so a URL keeps its own slashes while a value's are escaped.
 * Throws `EnrichmentError` for a placeholder with no value: a lookup with a hole in it would ask the
 * CRM the wrong question.
 */
export function substitutePlaceholders(template: string, input: EnrichmentInput, encode: (value: string) => string = (value) => value): string {
  return template.replace(PLACEHOLDER, (placeholder: string, prefix: string, key: string) => {
    const value = prefix === 'contact' ? contactValue(key, input) : textOf(getEntry(input.userData, key));
    if (value === undefined) throw new EnrichmentError(`no value for ${placeholder}`);
    return encode(value);
  });
}

/** `source` is the customer's address on the channel (Sinch Contact Pro's name for it), not a contact field. */
function contactValue(field: string, input: EnrichmentInput): string | undefined {
  return field === 'source' ? textOf(input.clientId) : textOf(getEntry(input.contact, field));
}

/** Scalars only, integers as their decimal string; an empty string counts as no value, as in field codes. */
function textOf(value: KvValue | undefined): string | undefined {
  if (value === undefined || isKvList(value)) return undefined;
  const text = String(value);
  return text === '' ? undefined : text;
}
