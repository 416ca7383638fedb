import { createHmac } from 'node:crypto';
import type { Express } from 'express';
import request from 'supertest';
import { signedHeaders } from '../../src/connectors/signature.js';
import type { GatewayConfigInput } from '../../src/config/schema.js';
import { FakeWhatsApp } from './fake-whatsapp.js';
import { eventually, startTestGateway, testConfig, type TestGateway } from './gateway.js';
import { jsonInvite } from './invites.js';
import { startLoopbackServer, type LoopbackServer } from './loopback.js';

/**
 * Two tenants (7 and 9), each with a WhatsApp Cloud, a Sinch and an Apple MSP channel of its own
 * secrets, sending to loopback fakes: the setting for checking that one tenant's signed webhook
 * can never change the other's sessions.
 */
export const TENANTS = [7, 9] as const;
export type TenantId = (typeof TENANTS)[number];

export const tenantKey = (tenant: TenantId) => `webhook-test-key-${tenant}`;
export const waSecret = (tenant: TenantId) => `wa-app-secret-${tenant}`;
export const phoneNumberId = (tenant: TenantId) => `10987654321${tenant}`;
export const sinchSecret = (tenant: TenantId) => `sinch-callback-secret-${tenant}`;
export const sinchAppId = (tenant: TenantId) => `sinch-app-${tenant}`;
export const appleSecret = (tenant: TenantId) => Buffer.from(`msp-shared-secret-of-tenant-${tenant}!!!!`).toString('base64');

const CHANNELS = {
  wa: { businessId: (tenant: TenantId) => `+1555000${tenant}001`, template: 'order_ready' },
  sinch: { businessId: (tenant: TenantId) => `+1555000${tenant}002`, template: 'order_ready' },
  apple: { businessId: (tenant: TenantId) => `apple-business-${tenant}`, template: 'apple_list_picker' },
} as const;
export type ChannelKind = keyof typeof CHANNELS;

export interface WebhookTestBed {
  gateway: TestGateway;
  app: Express;
  whatsapp: FakeWhatsApp;
  /** Starts an invite on the tenant's channel of that kind and waits until it is `sent`; its session view. */
  inviteSent(tenant: TenantId, kind: ChannelKind, clientId: string): Promise<Record<string, any>>;
  /** The session as its tenant sees it (`GET /sessions/:id`). */
  session(tenant: TenantId, sessionId: string): Promise<Record<string, any>>;
  close(): Promise<void>;
}

export async function startWebhookTestBed(label: string, limits: GatewayConfigInput['limits'] = {}): Promise<WebhookTestBed> {
  const whatsapp = new FakeWhatsApp('wa-token');
  await whatsapp.start();
  let sinchSequence = 0;
  const sinch: LoopbackServer = await startLoopbackServer((_incoming, _raw, response) =>
    response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ message_id: `01SINCH${++sinchSequence}`, accepted_time: new Date().toISOString() })),
  );
  const apple: LoopbackServer = await startLoopbackServer((_incoming, _raw, response) => response.writeHead(200, { 'content-type': 'application/json' }).end('{}'));

  const config = testConfig({
    limits,
    tenants: TENANTS.map((tenant) => ({
      id: tenant,
      apiKeys: [tenantKey(tenant)],
      channels: [
        channel(tenant, 'wa', 'whatsapp', { ...whatsapp.connector(phoneNumberId(tenant)), appSecret: waSecret(tenant) }),
        channel(tenant, 'sinch', 'whatsapp', { kind: 'sinch', baseUrl: sinch.url, projectId: `project-${tenant}`, appId: sinchAppId(tenant), token: 'sinch-token', callbackSecret: sinchSecret(tenant) }),
        channel(tenant, 'apple', 'apple', { kind: 'apple-msp', baseUrl: apple.url, secret: appleSecret(tenant) }),
      ],
    })),
  });
  const gateway = await startTestGateway({ label, config });
  const app = gateway.app!;

  const session = async (tenant: TenantId, sessionId: string) => (await request(app).get(`/sessions/${sessionId}`).set('X-Api-Key', tenantKey(tenant))).body as Record<string, any>;
  return {
    gateway,
    app,
    whatsapp,
    session,
    async inviteSent(tenant, kind, clientId) {
      const parameters = { _umsChannel: `${kind}-${tenant}`, _umsBusinessId: CHANNELS[kind].businessId(tenant), _umsClientId: clientId, StandardResponseId: CHANNELS[kind].template };
      const answer = await request(app).post('/esp').set('X-Api-Key', tenantKey(tenant)).send(jsonInvite({ parameters }));
      if (answer.status !== 200) throw new Error(`invite refused: ${answer.text}`);
      const sessionId = answer.body.Request._umsChatSessionId as string;
      return eventually(async () => {
        const view = await session(tenant, sessionId);
        return view.delivery === 'sent' ? view : undefined;
      }, 8_000, `session ${sessionId} sent`);
    },
    async close() {
      await gateway.dispose();
      await whatsapp.stop();
      await sinch.close();
      await apple.close();
    },
  };
}

function channel(tenant: TenantId, kind: ChannelKind, type: 'whatsapp' | 'apple', connector: Record<string, unknown>) {
  return { name: `${kind}-${tenant}`, type, businessIds: [CHANNELS[kind].businessId(tenant)], inboundRouteByCall: `${tenant}:session-inbound`, connector } as GatewayConfigInput['tenants'][number]['channels'][number];
}

/** A WhatsApp Cloud API status notification of one phone number, as Meta posts it (checked against Meta's webhook schema in test/fixtures/whatsapp-cloud-shapes.test.ts). */
export function whatsappStatuses(fromPhoneNumberId: string, statuses: Array<{ id: string; status: string; errors?: unknown[] }>) {
  return {
    object: 'whatsapp_business_account',
    entry: [
      {
        id: 'WABA-ID',
        changes: [
          {
            field: 'messages',
            value: {
              messaging_product: 'whatsapp',
              metadata: { display_phone_number: '15550000000', phone_number_id: fromPhoneNumberId },
              statuses: statuses.map((status) => ({ timestamp: '1795400000', recipient_id: '15551234001', ...status })),
            },
          },
        ],
      },
    ],
  };
}

/** A Sinch delivery report callback. */
export function sinchReport(appId: string, messageId: string, status: string, reason?: { code: string; description: string }) {
  return {
    app_id: appId,
    accepted_time: new Date().toISOString(),
    message_delivery_report: { message_id: messageId, status, channel_identity: { channel: 'WHATSAPP', identity: '15551234001', app_id: appId }, ...(reason ? { reason } : {}) },
  };
}

/** POST /webhooks/whatsapp with `X-Hub-Signature-256` made with `secret`; `payload` as is when a string. */
export function postWhatsApp(app: Express, payload: unknown, secret: string) {
  const body = typeof payload === 'string' ? payload : JSON.stringify(payload);
  const signature = `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
  return request(app).post('/webhooks/whatsapp').set('Content-Type', 'application/json').set('X-Hub-Signature-256', signature).send(body);
}

/** POST /webhooks/sinch signed as Sinch signs callbacks, at `timestampSeconds` (default now). */
export function postSinch(app: Express, payload: unknown, secret: string, timestampSeconds = Math.floor(Date.now() / 1_000)) {
  const body = typeof payload === 'string' ? payload : JSON.stringify(payload);
  const nonce = `nonce-${Math.random().toString(36).slice(2)}`;
  const signature = createHmac('sha256', secret).update(`${body}.${nonce}.${timestampSeconds}`).digest('base64');
  return request(app)
    .post('/webhooks/sinch')
    .set('Content-Type', 'application/json')
    .set({ 'x-sinch-webhook-signature': signature, 'x-sinch-webhook-signature-nonce': nonce, 'x-sinch-webhook-signature-timestamp': String(timestampSeconds) })
    .send(body);
}

/** POST /webhooks/apple with `X-Invite-Signature` made with `secret` at `signedAtMs` (default now). */
export function postApple(app: Express, payload: unknown, secret: string, signedAtMs = Date.now()) {
  const body = typeof payload === 'string' ? payload : JSON.stringify(payload);
  return request(app).post('/webhooks/apple').set('Content-Type', 'application/json').set(signedHeaders(body, secret, signedAtMs)).send(body);
}
