import type { KvList } from './kvlist.js';

/** The wire forms `POST /esp` accepts (docs/protocol.md#wire-forms); the reply is written in the same form. */
export type WireFormat = 'json' | 'xml' | 'log';

/** One ESP `Request3rdServer`, whatever form it arrived in. */
export interface EspRequest {
  /** Correlates the reply with the request; optional over HTTP and echoed when present. */
  referenceId?: number;
  /** `AppName`, `AppType`, `Service`, `Method`, `Parameters` (a nested list), maybe more. */
  request: KvList;
  /** The interaction's attached data; absent when the client sent none. */
  userData?: KvList;
}

/** `Event3rdServerResponse`: the result list, e.g. `{_umsChatSessionId}`. */
export interface EspResponse {
  event: 'Event3rdServerResponse';
  referenceId?: number;
  request: KvList;
}

/** `Event3rdServerFault`: `FaultCode` and `FaultString`. */
export interface EspFaultReply {
  event: 'Event3rdServerFault';
  referenceId?: number;
  faultCode: number;
  faultString: string;
}

export type EspReply = EspResponse | EspFaultReply;
