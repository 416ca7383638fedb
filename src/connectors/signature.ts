import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';

/**
 * Signatures on what the gateway POSTs (domain.md 2.1): `X-Invite-Signature: t=<unix seconds>,
 * v1=<hex HMAC-SHA256 of "<t>.<body>">` and `X-Invite-Event-Id`. Signing the timestamp with the
 * body lets a receiver refuse replays of an old delivery.
 */
export function signedHeaders(body: string, secret: string, now = Date.now(), eventId: string = randomUUID()): Record<string, string> {
  const timestamp = Math.floor(now / 1_000);
  const signature = createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
  return { 'x-invite-signature': `t=${timestamp},v1=${signature}`, 'x-invite-event-id': eventId };
}

/** Checks an `X-Invite-Signature` header against a body, with a tolerance on the timestamp. */
export function verifyInviteSignature(header: string | undefined, body: string, secret: string, toleranceSeconds = 300, now = Date.now()): boolean {
  const parts = Object.fromEntries((header ?? '').split(',').map((part) => part.trim().split('=') as [string, string]));
  const timestamp = Number(parts.t);
  if (!Number.isInteger(timestamp) || !parts.v1) return false;
  if (Math.abs(now / 1_000 - timestamp) > toleranceSeconds) return false;
  const expected = createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
  return sameHex(parts.v1, expected);
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
 * callback secret, in `x-sinch-webhook-signature` (nonce and timestamp in their own headers).
 */
export function verifySinchSignature(headers: { signature?: string; nonce?: string; timestamp?: string }, rawBody: Buffer, secret: string): boolean {
  if (!headers.signature || !headers.nonce || !headers.timestamp) return false;
  const expected = createHmac('sha256', secret).update(Buffer.concat([rawBody, Buffer.from(`.${headers.nonce}.${headers.timestamp}`)])).digest('base64');
  return sameHex(headers.signature, expected);
}
