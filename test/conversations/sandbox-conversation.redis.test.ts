import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startTestGateway, TENANT1_KEY, type TestGateway } from '../support/gateway.js';
import { jsonInvite } from '../support/invites.js';

/** A whole conversation on the sandbox connector alone, as a newcomer sees it with `npm start`. */
describe('a conversation on the sandbox', () => {
  let gateway: TestGateway;
  beforeAll(async () => {
    gateway = await startTestGateway({ label: 'sandbox-conversation' });
  });
  afterAll(async () => {
    await gateway?.dispose();
  });

  const messages = async (sessionId: string) => (await request(gateway.app!).get(`/sessions/${sessionId}/messages`).set('X-Api-Key', TENANT1_KEY)).body.messages as Array<Record<string, any>>;

  it('UserData.SandboxReply makes the customer answer the invite, and an agent answer is delivered then read', async () => {
    const invited = await request(gateway.app!)
      .post('/esp')
      .set('X-Api-Key', TENANT1_KEY)
      .send(jsonInvite({ parameters: { _umsClientId: '+15551239101' }, userData: { SandboxReply: 'Yes, today please', SandboxReplyCount: '2' } }));
    const sessionId = invited.body.Request._umsChatSessionId as string;
    const transcript = await eventually(async () => {
      const current = await messages(sessionId);
      return current.filter((message) => message.direction === 'in').length === 2 ? current : undefined;
    }, 8_000, 'two simulated replies');
    expect(transcript[0]).toMatchObject({ direction: 'out', author: 'invite', delivery: 'read' });
    expect(transcript.slice(1)).toMatchObject([
      { direction: 'in', kind: 'text', text: 'Yes, today please', replyTo: transcript[0]!.providerMessageId },
      { direction: 'in', kind: 'text', text: 'Yes, today please' },
    ]);
    expect((await request(gateway.app!).get(`/sessions/${sessionId}`).set('X-Api-Key', TENANT1_KEY)).body).toMatchObject({ engaged: true, customerName: 'Sandbox Customer', messages: 3 });

    const answer = await request(gateway.app!).post(`/sessions/${sessionId}/messages`).set('X-Api-Key', TENANT1_KEY).send({ text: 'Great, see you then', author: 'agent-1' });
    expect(answer.status).toBe(202);
    await eventually(async () => ((await messages(sessionId)).at(-1)?.delivery === 'read' ? true : undefined), 8_000, 'the answer read');
    // The answer's reports moved the answer, not the invite, and no reply answers an answer.
    expect((await messages(sessionId)).filter((message) => message.direction === 'in')).toHaveLength(2);
  });
});
