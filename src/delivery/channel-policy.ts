import { credentialsFingerprint } from '../config/credentials.js';
import type { ChannelConfig, GatewayConfig } from '../config/schema.js';
import { fault, type EspFault } from '../esp/faults.js';
import { PHONE_NUMBER } from '../esp/phone-number.js';
import type { CreateLimits, CreateOutcome } from '../sessions/session-store.js';
import type { OutcomeName } from '../connectors/delivery-failure.js';

/**
 * The channel policy (docs/protocol.md#delivery-and-outcomes, #faults 1022): who may be written to
 * on a channel, and what a provider's answer changes for the channel or the recipient. The
 * decisions and their faults live here; what must be atomic with a session's write (a stopped
 * channel, a suppressed recipient, the per-recipient cap, the tenant's backlog) is enforced by the
 * CREATE_SESSION script (src/sessions/scripts.ts) with the limits `sessionLimits` gives it.
 */

/**
 * Apple lets a business write only inside a conversation the customer started, identified by an
 * opaque id; a phone number there is a cold start, allowed only through Apple-approved invitations
 * (`appleInvitations`). Checked without Redis, before anything is stored.
 */
export function checkColdStart(channel: ChannelConfig, clientId: string): void {
  if (channel.type === 'apple' && PHONE_NUMBER.test(clientId) && !channel.appleInvitations) {
    throw fault(
      'policyRefused',
      `_umsClientId is a phone number, but Apple Messages for Business may only write to a conversation the customer started (channel ${channel.name} has no appleInvitations)`,
    );
  }
}

/** What the session's write enforces atomically for an invite on `channel`. */
export function sessionLimits(channel: ChannelConfig, limits: GatewayConfig['limits']): CreateLimits & { confirmWithinMs: number } {
  return {
    backlogLimit: limits.queueLimitPerTenant,
    perRecipient: channel.perRecipient,
    // A stop set under other credentials no longer holds: new credentials lift it.
    credentialsFingerprint: credentialsFingerprint(channel.connector),
    confirmWithinMs: Math.floor(limits.redisCommandTimeoutMs / 2),
  };
}

/** Outcomes of the session write that are the channel policy refusing the invite (fault 1022). */
export type PolicyOutcome = Extract<CreateOutcome, { kind: 'suppressed' | 'channelHeld' | 'recipientLimited' }>;

export function isPolicyOutcome(outcome: CreateOutcome): outcome is PolicyOutcome {
  return outcome.kind === 'suppressed' || outcome.kind === 'channelHeld' || outcome.kind === 'recipientLimited';
}

/** Fault 1022 for a policy refusal, naming the rule. */
export function policyRefusal(outcome: PolicyOutcome, channel: ChannelConfig): EspFault {
  switch (outcome.kind) {
    case 'suppressed':
      return fault(
        'policyRefused',
        outcome.reason === 'opt_out_keyword'
          ? `the recipient opted out on channel ${channel.name} (they sent an opt-out keyword): invites to them are refused until they opt in again`
          : `the recipient stopped marketing messages on channel ${channel.name}: invites to them are refused`,
      );
    case 'channelHeld':
      return fault('policyRefused', `channel ${channel.name} is stopped (${outcome.reason}) until its credentials change or it is resumed`);
    case 'recipientLimited':
      return fault('policyRefused', `the recipient already got ${channel.perRecipient?.max} invite(s) on channel ${channel.name} within ${channel.perRecipient?.windowSeconds} s (perRecipient)`);
  }
}

/**
 * A provider refused the business itself (expired credentials, a blocked account): the channel
 * stops, its invites wait, and an alert is logged, until the credentials change or it is resumed.
 */
export function stopsChannel(outcome: OutcomeName): boolean {
  return outcome === 'token_expired' || outcome === 'account_blocked';
}

/** The recipient stopped marketing messages: later invites to them on the channel are refused. */
export function suppressesRecipient(outcome: string): boolean {
  return outcome === 'marketing_opt_out';
}
