import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';

/**
 * Signatures on what the gateway POSTs (docs/protocol.md#signatures): `X-Invite-Signature: t=<unix seconds>,
 * v1=<hex HMAC-SHA256 of "<t>.<body>">` and `X-Invite-Event-Id`. Signing the timestamp with the
 * body lets a receiver refuse replays of an old delivery.
 */
export function signedHeaders(body: string, secret: string, now = Date.now(), eventId: string = randomUUID()): Record<string, string> {
  const timestamp = Math.floor(now / 1_000);
  const signature = createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
  return { 'x-invite-signature': `t=${timestamp},v1=${signature}`, 'x-invite-event-id': eventId };
}

/** What a signature check found: `stale` is a correct form whose timestamp is outside the window. */
export type SignatureCheck = 'valid' | 'stale' | 'invalid';

/**
 * Checks an `X-Invite-Signature` header (`t=<unix seconds>,v1=<hex>`, each once) against a body.
 * A timestamp more than `toleranceSeconds` away from now, in either direction, is `stale`: a
 * captured request cannot be replayed later, whatever its age.
 */
export function checkInviteSignature(header: string | undefined, body: string, secret: string, toleranceSeconds = 300, now = Date.now()): SignatureCheck {
  const match = /^t=(\d{1,12}),v1=([0-9a-f]{64})$/i.exec((header ?? '').replace(/\s+/g, ''));
  if (!match) return 'invalid';
  const [, t, v1] = match as unknown as [string, string, string];
  const expected = createHmac('sha256', secret).update(`${t}.${body}`).digest('hex');
  if (!sameHex(v1.toLowerCase(), expected)) return 'invalid';
  return withinTolerance(t, toleranceSeconds, now) ? 'valid' : 'stale';
}

/** Checks an `X-Invite-Signature` header against a body, with a tolerance on the timestamp. */
export function verifyInviteSignature(header: string | undefined, body: string, secret: string, toleranceSeconds = 300, now = Date.now()): boolean {
  return checkInviteSignature(header, body, secret, toleranceSeconds, now) === 'valid';
}

/** A unix-seconds timestamp no further than `toleranceSeconds` from `now` (milliseconds). */
function withinTolerance(unixSeconds: string, toleranceSeconds: number, now: number): boolean {
  return Math.abs(now / 1_000 - Number(unixSeconds)) <= toleranceSeconds;
}

/** `X-Hub-Signature-256: sha256=<hex HMAC of the raw body with the app secret>` (WhatsApp webhooks). */
export function verifyHubSignature(header: string | undefined, rawBody: Buffer, appSecret: string): boolean {
  const match = /^sha256=([0-9a-f]{64})$/i.exec(header ?? '');
  if (!match) return false;
  return sameHex(match[1]!.toLowerCase(), createHmac('sha256', appSecret).update(rawBody).digest('hex'));
}

/** Constant-time comparison of two signatures in the same encoding. */
function sameHex(given: string, expected: string): boolean {
  const a = Buffer.from(given, 'utf8');
  const b = Buffer.from(expected, 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * Sinch callback signature: base64 HMAC-SHA256 of `<raw body>.<nonce>.<timestamp>` with the
 * callback secret, in `x-sinch-webhook-signature` (nonce and timestamp, unix seconds, in their own
 * headers). A timestamp outside `toleranceSeconds` of now is `stale`, so an old callback cannot be
 * replayed.
 */
export function checkSinchSignature(
  headers: { signature?: string; nonce?: string; timestamp?: string },
  rawBody: Buffer,
  secret: string,
  toleranceSeconds = 300,
  now = Date.now(),
): SignatureCheck {
  if (!headers.signature || !headers.nonce || !headers.timestamp || !/^\d{1,12}$/.test(headers.timestamp)) return 'invalid';
  const expected = createHmac('sha256', secret).update(Buffer.concat([rawBody, Buffer.from(`.${headers.nonce}.${headers.timestamp}`)])).digest('base64');
  if (!sameHex(headers.signature, expected)) return 'invalid';
  return withinTolerance(headers.timestamp, toleranceSeconds, now) ? 'valid' : 'stale';
}
