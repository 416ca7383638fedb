import type { EspRequest } from '../esp/model.js';
import { FAULTS } from '../esp/faults.js';
import { checkApiKey, checkReachable, connectionLost, TargetError } from '../cli-support/gateway-target.js';
import type { Answer } from './classify.js';

/** How often a request is retried when the connection breaks or the gateway answers 1050. */
const ATTEMPTS = 3;
const RETRY_PAUSE_MS = 500;

/** Sends logged requests to a gateway's `POST /esp` in the JSON form and reads its answers. */
export class GatewayClient {
  constructor(
    private readonly target: string,
    private readonly apiKey: string,
    private readonly dryRun: boolean,
  ) {}

  /** Fails with TargetError when the gateway does not answer its liveness probe or refuses the API key. */
  async checkTarget(): Promise<void> {
    await checkReachable(this.target);
    await checkApiKey(this.target, this.apiKey);
  }

  /**
   * Today's answer to one logged request. A broken connection or 1050 (the gateway cannot store
   * now) is retried a few times, so a short hiccup does not show as a difference; 1040 means the
   * API key is wrong for every request, so the run stops.
   */
  async send(request: EspRequest): Promise<Answer> {
    for (let attempt = 1; ; attempt++) {
      let answer: Answer;
      try {
        answer = await this.post(request);
      } catch (error) {
        if (error instanceof TargetError || attempt >= ATTEMPTS) throw connectionLost(error, this.target);
        await pause(RETRY_PAUSE_MS * attempt);
        continue;
      }
      if (answer.FaultCode === FAULTS.unauthenticated.code) throw new TargetError(`${this.target} refused the API key: ${answer.FaultString}`);
      if (answer.FaultCode !== FAULTS.unavailable.code || attempt >= ATTEMPTS) return answer;
      await pause(RETRY_PAUSE_MS * attempt);
    }
  }

  private async post(request: EspRequest): Promise<Answer> {
    const response = await fetch(`${this.target}/esp${this.dryRun ? '?dryRun=true' : ''}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json', authorization: `Bearer ${this.apiKey}` },
      body: JSON.stringify(jsonForm(request)),
      signal: AbortSignal.timeout(30_000),
    });
    const text = await response.text();
    return answerOf(response.status, text, this.target);
  }
}

/** The `POST /esp` JSON form of a request; lists serialise as objects, `ValueInt`s as numbers. */
export function jsonForm(request: EspRequest): object {
  return {
    ...(request.referenceId === undefined ? {} : { ReferenceId: request.referenceId }),
    Request: request.request,
    ...(request.userData ? { UserData: request.userData } : {}),
  };
}

function answerOf(status: number, text: string, target: string): Answer {
  let body: { Event?: unknown; Request?: Record<string, unknown> };
  try {
    body = JSON.parse(text) as typeof body;
  } catch {
    throw new TargetError(`${target}/esp answered HTTP ${status} with a body that is not an ESP reply: is --target an invite-gateway?`);
  }
  const list = body.Request ?? {};
  if (body.Event === 'Event3rdServerFault') {
    return { result: 'fault', FaultCode: Number(list.FaultCode), FaultString: String(list.FaultString ?? '') };
  }
  if (body.Event !== 'Event3rdServerResponse') throw new TargetError(`${target}/esp answered HTTP ${status} without an ESP event`);
  // A dry run names its render; a live answer has none to compare (undefined, not null).
  if (list._umsDryRun !== 'true') return { result: 'success' };
  return { result: 'success', rendered: typeof list.Rendered === 'string' ? list.Rendered : null };
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
