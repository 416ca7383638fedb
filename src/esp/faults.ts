/**
 * The ESP fault table of docs/protocol.md#faults, declared once: the HTTP layer maps faults to statuses
 * with it, the replay tool compares fault codes with it and the README's table is checked
 * against it. Order matters: when a request has several problems, checks run in this order.
 */
export const FAULTS = {
  bodyUnreadable: { code: 1001, http: 400, when: 'body unreadable: not JSON/XML/log text, wrong shape, no `Request`, lists nested too deep (413 over the size limit, 415 another content type or encoding)' },
  wrongServiceOrMethod: { code: 1002, http: 400, when: '`Service`/`Method` is not `ChatService`/`InviteToChat`' },
  noApplication: { code: 1003, http: 400, when: 'neither `AppName` nor `AppType`' },
  missingParameter: { code: 1010, http: 400, when: 'a required parameter is missing or empty' },
  malformedParameter: { code: 1011, http: 400, when: 'a parameter is malformed (bad phone number, bad `ChatQueueKey`, `TerminateSessionFlag` not true/false, KVList given as a scalar)' },
  unknownChannel: { code: 1012, http: 400, when: '`_umsChannel` is unknown to the tenant, or missing while the tenant has several channels' },
  unknownBusinessId: { code: 1013, http: 400, when: '`_umsBusinessId` is not a number/id of that channel' },
  unknownStandardResponse: { code: 1020, http: 400, when: '`StandardResponseId` unknown, or not usable on that channel' },
  renderingFailed: { code: 1021, http: 400, when: 'rendering failed: a field code has no value, or a value breaks the channel rules' },
  policyRefused: { code: 1022, http: 400, when: 'the channel policy refuses the invite (recipient suppressed, Apple cold start, per-recipient limit)' },
  enrichmentFailed: { code: 1023, http: 502, when: 'the enrichment lookup failed and the channel refuses in that case' },
  idempotencyConflict: { code: 1030, http: 409, when: 'the same idempotency key was used with a different request' },
  unauthenticated: { code: 1040, http: 401, when: 'no or unknown API key' },
  forbidden: { code: 1041, http: 403, when: 'the key tenant may not use that channel / `ChatQueueKey` tenant' },
  unavailable: { code: 1050, http: 503, when: 'the gateway cannot store the request now (Redis down, queue over its limit)' },
  internal: { code: 1099, http: 500, when: 'anything else (never with a stack trace)' },
} as const;

export type FaultName = keyof typeof FAULTS;

/**
 * An expected failure of an invite, answered as `Event3rdServerFault`.
 * `message` is the FaultString: it names the field and the problem.
 */
export class EspFault extends Error {
  /** The kind, for logs; the ESP caller gets `faultCode` (and `faultName` says which). */
  readonly code = 'ESP.FAULT';
  readonly faultName: FaultName;
  /** HTTP status override for 1001's 413/415 variants. */
  readonly httpStatus: number;
  /** Seconds, for 1050: when the caller may try again. */
  readonly retryAfterSeconds?: number;

  constructor(faultName: FaultName, faultString: string, options: { httpStatus?: number; retryAfterSeconds?: number; cause?: unknown } = {}) {
    super(faultString, { cause: options.cause });
    this.name = 'EspFault';
    this.faultName = faultName;
    this.httpStatus = options.httpStatus ?? FAULTS[faultName].http;
    this.retryAfterSeconds = options.retryAfterSeconds;
  }

  get faultCode(): number {
    return FAULTS[this.faultName].code;
  }
}

/** Shorthand used by validators: `throw fault('missingParameter', '_umsClientId is missing')`. */
export function fault(faultName: FaultName, faultString: string, options?: ConstructorParameters<typeof EspFault>[2]): EspFault {
  return new EspFault(faultName, faultString, options);
}
