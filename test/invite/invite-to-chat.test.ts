import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { parseJsonRequest } from '../../src/esp/json-form.js';
import { DoubtfulInvites } from '../../src/invite/doubtful-invites.js';
import { InviteToChat } from '../../src/invite/invite-to-chat.js';
import type { InviteStorage } from '../../src/invite/ports.js';
import { SessionIdGenerator } from '../../src/sessions/session-id.js';
import type { ConfirmOutcome, CreateOutcome } from '../../src/sessions/session-store.js';
import { loadStandardResponses } from '../../src/templates/catalog.js';
import { SAMPLE_TEMPLATES_DIR, testConfig } from '../support/gateway.js';
import { jsonInvite } from '../support/invites.js';

/**
 * The use case on an in-memory storage (no Redis, no BullMQ): what it writes, in which order, and
 * what it answers for each thing the storage can say. test/integration shows the same on Redis.
 */
class MemoryStorage implements InviteStorage {
  readonly calls: string[] = [];
  createAnswer: () => Promise<CreateOutcome> = async () => ({ kind: 'created', sessionId: '' });
  enqueueAnswer: () => Promise<void> = async () => undefined;
  confirmAnswer: ConfirmOutcome = 'confirmed';

  async createSession(session: { sessionId: string }) {
    this.calls.push(`create ${session.sessionId}`);
    const outcome = await this.createAnswer();
    return outcome.kind === 'created' ? { ...outcome, sessionId: session.sessionId } : outcome;
  }
  async enqueueDelivery(session: { sessionId: string }) {
    this.calls.push(`enqueue ${session.sessionId}`);
    return this.enqueueAnswer();
  }
  async dropDelivery(sessionId: string) {
    this.calls.push(`drop ${sessionId}`);
  }
  async confirm(session: { sessionId: string }) {
    this.calls.push(`confirm ${session.sessionId}`);
    return this.confirmAnswer;
  }
  async withdraw(session: { sessionId: string }) {
    this.calls.push(`withdraw ${session.sessionId}`);
    return 'withdrawn' as const;
  }
}

const config = parseConfig(testConfig());
const catalog = loadStandardResponses(SAMPLE_TEMPLATES_DIR);
const tenant = config.tenants[0]!;
const invite = (storage: MemoryStorage, parameters: Record<string, unknown> = {}) => {
  const doubtful = new DoubtfulInvites({ withdraw: (session) => storage.withdraw(session), retryEveryMs: 5 });
  const useCase = new InviteToChat({ config, catalog, storage, ids: new SessionIdGenerator(1), doubtful });
  return useCase.invite(parseJsonRequest(JSON.stringify(jsonInvite({ parameters }))), { tenant, dryRun: false });
};
const sessionIdOf = (calls: string[]) => calls[0]!.split(' ')[1]!;

describe('InviteToChat on its storage port', () => {
  it('writes the session and its job, then confirms, and only then answers the session id', async () => {
    const storage = new MemoryStorage();
    const result = await invite(storage);
    const id = sessionIdOf(storage.calls);
    expect(result).toEqual({ kind: 'created', sessionId: id });
    expect(storage.calls).toEqual([`create ${id}`, `enqueue ${id}`, `confirm ${id}`]);
  });

  it('answers a policy refusal with 1022, drops the job just queued and confirms nothing', async () => {
    const storage = new MemoryStorage();
    storage.createAnswer = async () => ({ kind: 'suppressed', reason: 'marketing_opt_out' });
    const refused = await invite(storage).catch((error: unknown) => error);
    expect(refused).toMatchObject({ faultCode: 1022 });
    const id = sessionIdOf(storage.calls);
    expect(storage.calls).toEqual([`create ${id}`, `enqueue ${id}`, `drop ${id}`]);
  });

  it('answers 1050 when the session write fails, and withdraws the session in case it landed', async () => {
    const storage = new MemoryStorage();
    storage.createAnswer = async () => {
      throw new Error('Command timed out');
    };
    expect(await invite(storage).catch((error: unknown) => error)).toMatchObject({ faultCode: 1050 });
    await expect.poll(() => storage.calls.some((call) => call.startsWith('withdraw'))).toBe(true);
    expect(storage.calls.some((call) => call.startsWith('confirm'))).toBe(false);
  });

  it('answers 1050 when the job cannot be queued, and withdraws the created session', async () => {
    const storage = new MemoryStorage();
    storage.enqueueAnswer = async () => {
      throw new Error('Connection is closed.');
    };
    expect(await invite(storage).catch((error: unknown) => error)).toMatchObject({ faultCode: 1050 });
    const id = sessionIdOf(storage.calls);
    await expect.poll(() => storage.calls).toContain(`withdraw ${id}`);
    expect(storage.calls).not.toContain(`confirm ${id}`);
  });

  it('answers 1050 when the confirmation came too late (the session is withdrawn by the storage)', async () => {
    const storage = new MemoryStorage();
    storage.confirmAnswer = 'late';
    expect(await invite(storage).catch((error: unknown) => error)).toMatchObject({ faultCode: 1050 });
  });

  it('refuses an invalid request before touching the storage', async () => {
    const storage = new MemoryStorage();
    expect(await invite(storage, { _umsBusinessId: '+19999999999' }).catch((error: unknown) => error)).toMatchObject({ faultCode: 1013 });
    expect(storage.calls).toEqual([]);
  });
});
