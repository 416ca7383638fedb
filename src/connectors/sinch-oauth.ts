import { DeliveryFailure } from './delivery-failure.js';
import { postJson, PROVIDER_TIMEOUT_MS } from './http-post.js';

/** A token is renewed this long before Sinch says it expires, so a send never carries one about to lapse. */
const EXPIRY_MARGIN_SECONDS = 60;

/** Where a Sinch connector gets its bearer token. */
export interface SinchCredentials {
  /** The token to send now (fetched, or taken from the cache). */
  token(): Promise<string>;
  /** Sinch refused `token`: forget it (unless a newer one replaced it already). Answers whether another try may help. */
  refused(token: string): boolean;
}

/** A fixed `token` from the configuration: a refusal cannot be cured by asking again. */
export function fixedToken(token: string): SinchCredentials {
  return { token: async () => token, refused: () => false };
}

/**
 * OAuth2 client credentials as Sinch's SDKs use them: `POST {authUrl}` with HTTP Basic
 * `keyId:keySecret` and the form `grant_type=client_credentials`; the answer is
 * `{access_token, expires_in, scope, token_type}`. The token is cached until `EXPIRY_MARGIN_SECONDS`
 * before `expires_in` runs out, and concurrent sends share one request for a new one.
 */
export class SinchOAuthToken implements SinchCredentials {
  private cached?: { token: string; renewAt: number };
  private pending?: Promise<string>;

  constructor(
    private readonly keyId: string,
    private readonly keySecret: string,
    private readonly authUrl: string,
    private readonly now: () => number = Date.now,
  ) {}

  async token(): Promise<string> {
    if (this.cached && this.now() < this.cached.renewAt) return this.cached.token;
    this.pending ??= this.fetchToken().finally(() => (this.pending = undefined));
    return this.pending;
  }

  refused(token: string): boolean {
    if (this.cached?.token === token) this.cached = undefined;
    return true;
  }

  private async fetchToken(): Promise<string> {
    const authorization = `Basic ${Buffer.from(`${this.keyId}:${this.keySecret}`).toString('base64')}`;
    const response = await postJson(this.authUrl, 'grant_type=client_credentials', { authorization, 'content-type': 'application/x-www-form-urlencoded' }, PROVIDER_TIMEOUT_MS, 'Sinch authentication');
    const answer = response.body as { access_token?: unknown; expires_in?: unknown } | undefined;
    const ok = response.status >= 200 && response.status < 300;
    if (response.status === 401 || response.status === 403) throw new DeliveryFailure('token_expired', false, `Sinch refused the access key (authentication HTTP ${response.status})`);
    if (!ok || typeof answer?.access_token !== 'string' || answer.access_token === '') {
      const retryable = response.status === 429 || response.status >= 500 || ok;
      throw new DeliveryFailure(retryable ? 'transient' : 'provider_error', retryable, `Sinch authentication answered HTTP ${response.status}${ok ? ' without an access_token' : ''}`);
    }
    const lifetimeSeconds = typeof answer.expires_in === 'number' && answer.expires_in > 0 ? answer.expires_in : 0;
    // A lifetime shorter than the margin is used for half its length rather than not at all.
    const usableSeconds = lifetimeSeconds > 2 * EXPIRY_MARGIN_SECONDS ? lifetimeSeconds - EXPIRY_MARGIN_SECONDS : lifetimeSeconds / 2;
    this.cached = { token: answer.access_token, renewAt: this.now() + usableSeconds * 1_000 };
    return answer.access_token;
  }
}
