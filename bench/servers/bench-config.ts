import { parseConfig } from '../../src/config/load.js';
import type { GatewayConfigInput } from '../../src/config/schema.js';

/** The app secret and phone-number id the inbound bench signs and addresses its webhooks with. */
export const BENCH_APP_SECRET = 'bench-inbound-app-secret';
export const BENCH_PHONE_NUMBER_ID = '109876543210';

/**
 * The benches' configuration: one tenant (key `bench-key`) with one WhatsApp Cloud channel,
 * `whatsapp-main`, business number +15550001111, talking to `connector` (`kind` is whatsapp-cloud).
 */
export function benchWhatsAppConfig(
  connector: { baseUrl: string; phoneNumberId: string; token: string; appSecret?: string },
  channel: { rateLimit?: { perSecond: number } } = {},
): GatewayConfigInput {
  return {
    tenants: [
      {
        id: 1,
        apiKeys: ['bench-key'],
        channels: [
          {
            name: 'whatsapp-main',
            type: 'whatsapp',
            businessIds: ['+15550001111'],
            inboundRouteByCall: '1:session-WA-inbound',
            connector: { kind: 'whatsapp-cloud', apiVersion: 'v23.0', ...connector },
            ...channel,
          },
        ],
      },
    ],
  };
}

/** The inbound bench's: its webhooks are signed with the app secret, and it sends nothing. */
export const inboundBenchConfig = () =>
  parseConfig(benchWhatsAppConfig({ baseUrl: 'http://127.0.0.1:9', phoneNumberId: BENCH_PHONE_NUMBER_ID, token: 'unused', appSecret: BENCH_APP_SECRET }));
