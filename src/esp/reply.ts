import { fault } from './faults.js';
import { parseJsonRequest, peekJsonReferenceId } from './json-form.js';
import { parseLoggedRequest, peekLogReferenceId } from './log-form.js';
import type { EspReply, EspRequest, WireFormat } from './model.js';
import { DEFAULT_READ_LIMITS, type ReadLimits } from './read-limits.js';
import { parseXmlRequest, peekXmlReferenceId } from './xml-form.js';

/** The wire form a `Content-Type` names, or undefined for a type `POST /esp` does not speak. */
export function wireFormatOf(contentType: string | undefined): WireFormat | undefined {
  const mediaType = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  if (mediaType === 'application/json' || mediaType.endsWith('+json')) return 'json';
  if (mediaType === 'application/xml' || mediaType === 'text/xml' || mediaType.endsWith('+xml')) return 'xml';
  if (mediaType === 'text/plain') return 'log';
  return undefined;
}

/** Parses a `POST /esp` body in the form its `Content-Type` names. */
export function parseEspBody(contentType: string | undefined, text: string, limits: ReadLimits = DEFAULT_READ_LIMITS): { format: WireFormat; request: EspRequest } {
  const format = wireFormatOf(contentType);
  if (!format) {
    throw fault('bodyUnreadable', `Content-Type ${contentType ?? '(none)'} is not supported: send application/json, application/xml, text/xml or text/plain`, {
      httpStatus: 415,
    });
  }
  if (text.trim() === '') throw fault('bodyUnreadable', 'the body is empty');
  const request = format === 'json' ? parseJsonRequest(text, limits) : format === 'xml' ? parseXmlRequest(text, limits) : parseLoggedRequest(text, limits);
  return { format, request };
}

/** Best effort, so that a fault about an unreadable body still echoes the caller's ReferenceId. */
export function readReferenceId(format: WireFormat, text: string): number | undefined {
  if (format === 'json') return peekJsonReferenceId(text);
  if (format === 'xml') return peekXmlReferenceId(text);
  return peekLogReferenceId(text);
}

/** The JSON reply of docs/protocol.md#request-and-reply. */
export function writeJsonReply(reply: EspReply): object {
  const referenceId = reply.referenceId === undefined ? {} : { ReferenceId: reply.referenceId };
  if (reply.event === 'Event3rdServerFault') {
    return { ...referenceId, Event: reply.event, Request: { FaultCode: reply.faultCode, FaultString: reply.faultString } };
  }
  return { ...referenceId, Event: reply.event, Request: reply.request };
}
