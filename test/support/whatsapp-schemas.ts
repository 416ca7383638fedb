import { readFileSync } from 'node:fs';
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';

/**
 * Meta's published JSON shapes of the WhatsApp Cloud API (test/fixtures/whatsapp-cloud-*.json,
 * written by `npm run fixtures:whatsapp-schema` from github.com/facebook/openapi; see
 * test/fixtures/README.md for the commit and the errata) as validators.
 */
const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => Ajv2020;

function fixture(name: string): any {
  return JSON.parse(readFileSync(new URL(`../fixtures/${name}`, import.meta.url), 'utf8'));
}

function compile(name: string): ValidateFunction {
  // strictTypes off: Meta's document leaves `type: object` out next to object keywords.
  const ajv = new Ajv2020({ allErrors: true, strictTypes: false });
  addFormats(ajv);
  ajv.addVocabulary(['x-source', 'x-errata']);
  return ajv.compile(fixture(name));
}

let sendMessage: ValidateFunction | undefined;
let webhook: ValidateFunction | undefined;

/** Meta's own request examples of the send and webhook operations, by their published names. */
export const metaExamples = fixture('whatsapp-cloud-examples.json') as { send: Record<string, any>; webhook: Record<string, any> };

/** What Meta's schema of `POST /{Version}/{Phone-Number-ID}/messages` finds wrong with `body`, if anything. */
export function sendMessageProblems(body: unknown): string | undefined {
  sendMessage ??= compile('whatsapp-cloud-message.schema.json');
  return sendMessage(body) ? undefined : described(sendMessage.errors ?? []);
}

/** What Meta's webhook payload schema finds wrong with `payload`, if anything. */
export function webhookProblems(payload: unknown): string | undefined {
  webhook ??= compile('whatsapp-cloud-webhook.schema.json');
  return webhook(payload) ? undefined : described(webhook.errors ?? []);
}

/** The first few problems as sentences naming the field; wrappers (if/then, oneOf) say nothing new. */
function described(errors: ErrorObject[]): string {
  const sentences = errors.filter((error) => error.keyword !== 'if' && error.keyword !== 'oneOf').map(sentence);
  return [...new Set(sentences)].slice(0, 3).join('; ');
}

function sentence(error: ErrorObject): string {
  const where = error.instancePath ? error.instancePath.slice(1).replaceAll('/', '.') : 'body';
  const params = error.params as Record<string, unknown>;
  const detail =
    error.keyword === 'enum' ? ` (${(params.allowedValues as unknown[]).join(', ')})` :
    error.keyword === 'unevaluatedProperties' ? `: ${String(params.unevaluatedProperty)}` :
    error.keyword === 'additionalProperties' ? `: ${String(params.additionalProperty)}` : '';
  return `${where} ${error.message}${detail}`;
}
