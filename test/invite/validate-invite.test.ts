import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { parseJsonRequest } from '../../src/esp/json-form.js';
import { validateInvite, validateSharedParameters } from '../../src/invite/validate-invite.js';
import { faultOf } from '../support/faults.js';
import { testConfig, WA_BUSINESS_ID } from '../support/gateway.js';
import { jsonInvite } from '../support/invites.js';

/** Pure: no Redis, no HTTP. The same checks reach `POST /esp` and `POST /campaigns`. */
const tenant = parseConfig(testConfig()).tenants[0]!;
const request = (parameters: Record<string, unknown>) => parseJsonRequest(JSON.stringify(jsonInvite({ parameters })));

describe('validateInvite: one invite, recipient included', () => {
  it('turns a valid request into the command, the channel resolved and the default chat queue filled in', () => {
    const command = validateInvite(request({}), tenant);
    expect(command).toMatchObject({ clientId: '+15551230001', businessId: WA_BUSINESS_ID, standardResponseId: 'order_ready', chatQueueKey: tenant.channels[0]!.inboundRouteByCall, terminate: false, outbound: true });
    expect(command.channel.name).toBe('whatsapp-main');
  });

  it('needs _umsClientId (1010) and checks its format after the business id (1013 before 1011)', () => {
    expect(faultOf(() => validateInvite(request({ _umsClientId: undefined }), tenant)).faultCode).toBe(1010);
    expect(faultOf(() => validateInvite(request({ _umsClientId: 'not-a-number' }), tenant)).faultCode).toBe(1011);
    expect(faultOf(() => validateInvite(request({ _umsClientId: 'not-a-number', _umsBusinessId: '+19999999999' }), tenant)).faultCode).toBe(1013);
  });
});

describe('validateSharedParameters: a campaign, whose rows give the recipient', () => {
  const shared = (parameters: Record<string, unknown>) => request({ _umsClientId: undefined, ...parameters });

  it('accepts the parameters without a recipient and checks everything else an invite checks', () => {
    expect(validateSharedParameters(shared({}), tenant)).toMatchObject({ businessId: WA_BUSINESS_ID, standardResponseId: 'order_ready' });
    expect(validateSharedParameters(shared({}), tenant)).not.toHaveProperty('clientId');
    expect(faultOf(() => validateSharedParameters(shared({ _umsChannel: 'telegram' }), tenant)).faultCode).toBe(1012);
    expect(faultOf(() => validateSharedParameters(shared({ _umsBusinessId: '+19999999999' }), tenant)).faultCode).toBe(1013);
    expect(faultOf(() => validateSharedParameters(shared({ TerminateSessionFlag: 'maybe' }), tenant)).faultCode).toBe(1011);
    expect(faultOf(() => validateSharedParameters(shared({ ChatQueueKey: '2:campaigns' }), tenant)).faultCode).toBe(1041);
  });

  it('refuses _umsClientId in the shared parameters, naming it (1011)', () => {
    const refused = faultOf(() => validateSharedParameters(request({ _umsClientId: '+15551230001' }), tenant));
    expect([refused.faultCode, refused.message]).toEqual([1011, '_umsClientId belongs in each recipient, not in the shared parameters']);
  });

  it('keeps the fault order: a missing business id (1010) before the misplaced recipient (1011)', () => {
    expect(faultOf(() => validateSharedParameters(request({ _umsClientId: '+15551230001', _umsBusinessId: undefined }), tenant)).faultCode).toBe(1010);
  });
});
