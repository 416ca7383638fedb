import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import type { ChannelConfig } from '../../src/config/schema.js';
import { checkColdStart, policyRefusal, sessionLimits, stopsChannel, suppressesRecipient } from '../../src/delivery/channel-policy.js';
import { faultOf } from '../support/faults.js';
import { testConfig } from '../support/gateway.js';

/** Pure: the policy decisions without Redis; tests under test/integration show the same through HTTP. */
const config = parseConfig(testConfig());
const whatsapp = config.tenants[0]!.channels[0]!;
const apple = (appleInvitations: boolean): ChannelConfig => ({ ...whatsapp, name: 'apple-main', type: 'apple', appleInvitations });

describe('the channel policy', () => {
  it('refuses an Apple cold start (a phone number) unless the channel has appleInvitations (1022)', () => {
    expect(faultOf(() => checkColdStart(apple(false), '+15551230001'))).toMatchObject({ faultCode: 1022, message: expect.stringContaining('appleInvitations') });
    expect(() => checkColdStart(apple(true), '+15551230001')).not.toThrow();
    expect(() => checkColdStart(apple(false), 'urn:mbid:AQAAY-opaque')).not.toThrow();
    expect(() => checkColdStart(whatsapp, '+15551230001')).not.toThrow();
  });

  it('names the rule of each refusal the session write reports (1022)', () => {
    const capped: ChannelConfig = { ...whatsapp, perRecipient: { max: 2, windowSeconds: 3600 } };
    expect(policyRefusal({ kind: 'suppressed', reason: 'opt_out_keyword' }, whatsapp).message).toMatch(/opted out on channel whatsapp-main \(they sent an opt-out keyword\)/);
    expect(policyRefusal({ kind: 'suppressed', reason: 'marketing_opt_out' }, whatsapp).message).toMatch(/stopped marketing messages on channel whatsapp-main/);
    expect(policyRefusal({ kind: 'channelHeld', reason: 'token_expired, provider error 190' }, whatsapp).message).toMatch(/channel whatsapp-main is stopped \(token_expired, provider error 190\)/);
    expect(policyRefusal({ kind: 'recipientLimited' }, capped).message).toMatch(/already got 2 invite\(s\) on channel whatsapp-main within 3600 s/);
    for (const outcome of [{ kind: 'suppressed', reason: 'opt_out_keyword' }, { kind: 'channelHeld', reason: 'x' }, { kind: 'recipientLimited' }] as const) {
      expect(policyRefusal(outcome, capped).faultCode).toBe(1022);
    }
  });

  it('gives the session write its limits: the backlog, the cap, the credentials and half the command timeout to confirm', () => {
    const capped: ChannelConfig = { ...whatsapp, perRecipient: { max: 2, windowSeconds: 3600 } };
    const limits = sessionLimits(capped, { ...config.limits, queueLimitPerTenant: 500, redisCommandTimeoutMs: 2_000 });
    expect(limits).toMatchObject({ backlogLimit: 500, perRecipient: { max: 2, windowSeconds: 3600 }, confirmWithinMs: 1_000 });
    const rotated = sessionLimits({ ...capped, connector: { kind: 'sandbox', reportDelayMs: 1 } }, config.limits);
    expect(rotated.credentialsFingerprint).not.toBe(limits.credentialsFingerprint);
  });

  it('stops the channel on refused credentials or a blocked account only, and suppresses on a marketing opt-out only', () => {
    expect(['token_expired', 'account_blocked'].every((outcome) => stopsChannel(outcome as never))).toBe(true);
    expect(['rate_limited', 'undeliverable', 'template_rejected', 'marketing_opt_out', 'transient'].some((outcome) => stopsChannel(outcome as never))).toBe(false);
    expect(suppressesRecipient('marketing_opt_out')).toBe(true);
    expect(['undeliverable', 'outside_window', 'ecosystem_protection', 'token_expired'].some(suppressesRecipient)).toBe(false);
  });
});
