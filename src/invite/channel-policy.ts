import { fault } from '../esp/faults.js';
import type { InviteCommand } from './invite-command.js';
import { PHONE_NUMBER } from './validate-invite.js';

/**
 * Channel rules checked without Redis. Apple lets a business write only inside a conversation the
 * customer started, identified by an opaque id; a phone number there is a cold start, allowed only
 * through Apple-approved invitations (`appleInvitations`). Suppression and the per-recipient cap
 * need Redis and are checked atomically when the session is created (sessions/scripts.ts).
 */
export function checkChannelPolicy(command: InviteCommand): void {
  const { channel, clientId } = command;
  if (channel.type === 'apple' && PHONE_NUMBER.test(clientId) && !channel.appleInvitations) {
    throw fault(
      'policyRefused',
      `_umsClientId is a phone number, but Apple Messages for Business may only write to a conversation the customer started (channel ${channel.name} has no appleInvitations)`,
    );
  }
}
