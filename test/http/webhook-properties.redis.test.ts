import fc from 'fast-check';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appleStatusReport, readPayload, sinchCallback, whatsappNotification } from '../../src/connectors/webhook-payloads.js';
import {
  appleSecret,
  phoneNumberId,
  postApple,
  postSinch,
  postWhatsApp,
  sinchAppId,
  sinchReport,
  sinchSecret,
  startWebhookTestBed,
  waSecret,
  whatsappStatuses,
  type WebhookTestBed,
} from '../support/provider-webhooks.js';

/** A refusal names a field (or the body) and says what is wrong with it. */
const PROBLEM_SENTENCE = /^(the body is not JSON|(the body|[A-Za-z_][\w.[\]]*) (must|is) .+)$/;

type Json = unknown;
type Path = Array<string | number>;

/** Every path inside a JSON value (not the root). */
function pathsOf(value: Json, prefix: Path = []): Path[] {
  if (value === null || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([key, child]) => {
    const path = [...prefix, Array.isArray(value) ? Number(key) : key];
    return [path, ...pathsOf(child, path)];
  });
}

/** `value` with the field at `path` replaced by `replacement`, or removed when it is undefined. */
function withFieldAt(value: Json, path: Path, replacement: Json | undefined): Json {
  const copy = structuredClone(value) as Record<string | number, Json>;
  let parent = copy;
  for (const part of path.slice(0, -1)) parent = parent[part] as Record<string | number, Json>;
  const last = path[path.length - 1]!;
  if (replacement === undefined) delete parent[last];
  else parent[last] = replacement;
  return copy;
}

/** A valid payload with one field replaced by any JSON value, or removed. */
function mutationsOf(valid: Json): fc.Arbitrary<Json> {
  return fc.tuple(fc.constantFrom(...pathsOf(valid)), fc.option(fc.jsonValue(), { nil: undefined })).map(([path, replacement]) => withFieldAt(valid, path, replacement));
}

describe('webhook parsers take any JSON value', () => {
  it.each([
    ['WhatsApp', whatsappNotification],
    ['Sinch', sinchCallback],
    ['Apple', appleStatusReport],
  ] as const)('%s: the reader answers a value or one sentence naming the field, never a throw', (_provider, schema) => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const reading = readPayload(schema as never, Buffer.from(JSON.stringify(value)));
        if (!reading.ok) expect(reading.problem).toMatch(PROBLEM_SENTENCE);
      }),
      { numRuns: 300 },
    );
  });
});

describe('webhook routes take any JSON value, signed, without failing', () => {
  let bed: WebhookTestBed;
  const valid: Record<'whatsapp' | 'sinch' | 'apple', Json> = { whatsapp: null, sinch: null, apple: null };

  beforeAll(async () => {
    bed = await startWebhookTestBed('webhookprop');
    await bed.inviteSent(7, 'wa', '+15557100001');
    const wamid = bed.whatsapp.sendsTo('+15557100001')[0]!.wamid!;
    const sinch = await bed.inviteSent(7, 'sinch', '+15557100002');
    const apple = await bed.inviteSent(7, 'apple', 'urn:mbid:AQAAY-property-1');
    valid.whatsapp = whatsappStatuses(phoneNumberId(7), [{ id: wamid, status: 'failed', errors: [{ code: 131026, title: 'Message undeliverable' }] }]);
    valid.sinch = sinchReport(sinchAppId(7), sinch.providerMessageId, 'FAILED', { code: 'RECIPIENT_NOT_REACHABLE', description: 'not reachable' });
    valid.apple = { id: apple.providerMessageId, status: 'delivered', destinationId: 'urn:mbid:AQAAY-property-1', code: 0 };
  });
  afterAll(async () => {
    await bed?.close();
  });

  const post = {
    whatsapp: (payload: Json) => postWhatsApp(bed.app, payload, waSecret(7)),
    sinch: (payload: Json) => postSinch(bed.app, payload, sinchSecret(7)),
    apple: (payload: Json) => postApple(bed.app, payload, appleSecret(7)),
  };

  async function answersCleanly(provider: keyof typeof post, payload: Json): Promise<void> {
    const answer = await post[provider](payload);
    if (answer.status === 400) expect(answer.body.error).toMatch(PROBLEM_SENTENCE);
    else expect(answer.status, answer.text).toBe(200);
  }

  it.each(['whatsapp', 'sinch', 'apple'] as const)('/webhooks/%s: any JSON value and any one-field change of a valid report answer 200 or 400, and the service stays live', async (provider) => {
    await fc.assert(
      fc.asyncProperty(fc.jsonValue(), (payload) => answersCleanly(provider, payload)),
      { numRuns: 60 },
    );
    await fc.assert(
      fc.asyncProperty(mutationsOf(valid[provider]), (payload) => answersCleanly(provider, payload)),
      { numRuns: 60 },
    );
    expect((await request(bed.app).get('/livez')).status).toBe(200);
    expect((await post[provider](valid[provider])).status).toBe(200);
  });
});
