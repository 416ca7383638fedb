import { parseConfig } from '../../src/config/load.js';

/** The app secret and phone-number id the inbound bench signs and addresses its webhooks with. */
export const BENCH_APP_SECRET = 'bench-inbound-app-secret';
export const BENCH_PHONE_NUMBER_ID = '109876543210';

/** One tenant with a WhatsApp Cloud channel whose webhooks the bench posts (it sends nothing). */
export const inboundBenchConfig = () =>
  parseConfig({
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
            connector: { kind: 'whatsapp-cloud', baseUrl: 'http://127.0.0.1:9', apiVersion: 'v23.0', phoneNumberId: BENCH_PHONE_NUMBER_ID, token: 'unused', appSecret: BENCH_APP_SECRET },
          },
        ],
      },
    ],
  });
