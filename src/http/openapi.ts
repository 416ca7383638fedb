import { FAULTS } from '../esp/faults.js';

const faultTable = Object.values(FAULTS)
  .map((row) => `| ${row.code} | ${row.http} | ${row.when} |`)
  .join('\n');

const espReply = {
  type: 'object',
  required: ['Event', 'Request'],
  properties: {
    ReferenceId: { type: 'integer', description: 'Echoed when the request carried one' },
    Event: { type: 'string', enum: ['Event3rdServerResponse', 'Event3rdServerFault'] },
    Request: {
      type: 'object',
      description: 'Success: `_umsChatSessionId` (or `_umsDryRun` and `Rendered`). Fault: `FaultCode`, `FaultString`.',
      additionalProperties: true,
    },
  },
};

const sessionView = {
  type: 'object',
  properties: {
    sessionId: { type: 'string', pattern: '^[0-9A-Za-z]{16}$' },
    tenant: { type: 'integer' },
    channel: { type: 'string' },
    state: { type: 'string', enum: ['queued', 'sending', 'open', 'terminated', 'failed'] },
    delivery: { type: 'string', enum: ['none', 'pending', 'sent', 'delivered', 'read', 'failed'] },
    type: { type: 'string', enum: ['Outbound', 'Inbound'] },
    subtype: { type: 'string', enum: ['OutboundNew', 'InboundNew'] },
    chatQueueKey: { type: 'string' },
    terminate: { type: 'boolean' },
    clientId: { type: 'string', description: 'Masked: last four characters kept' },
    businessId: { type: 'string' },
    standardResponseId: { type: ['string', 'null'] },
    attempts: { type: 'integer' },
    providerMessageId: { type: ['string', 'null'] },
    error: {
      type: ['object', 'null'],
      properties: { code: { type: 'string' }, providerCode: { type: ['integer', 'string', 'null'], description: "the provider's own code: WhatsApp's error number, Sinch's reason.code name" }, message: { type: 'string' } },
    },
    history: { type: 'array', items: { type: 'object', properties: { event: { type: 'string' }, at: { type: 'string', format: 'date-time' } } } },
    userData: { type: 'object', additionalProperties: true },
    engaged: { type: 'boolean' },
    lastInboundAt: { type: ['string', 'null'], format: 'date-time' },
    lastOutboundAt: { type: ['string', 'null'], format: 'date-time' },
    messages: { type: 'integer' },
    customerName: { type: ['string', 'null'] },
  },
};

/** One message of a session's conversation (docs/conversations.md). */
const conversationMessage = {
  type: 'object',
  properties: {
    id: { type: 'string', description: '<sessionId>.<position>; the invite is .0' },
    direction: { enum: ['in', 'out'] },
    at: { type: 'string', format: 'date-time' },
    kind: { enum: ['template', 'text', 'button', 'interactive', 'media', 'location', 'contacts', 'reaction', 'richContent'] },
    text: { type: 'string' },
    payload: { type: 'string' },
    media: { type: 'object', properties: { id: { type: 'string' }, url: { type: 'string' }, mimeType: { type: 'string' }, filename: { type: 'string' }, caption: { type: 'string' } } },
    replyTo: { type: 'string' },
    providerMessageId: { type: 'string' },
    delivery: { enum: ['pending', 'sent', 'delivered', 'read', 'failed'] },
    error: { type: 'object' },
    author: { type: 'string' },
  },
};

const errorBody = { type: 'object', properties: { error: { type: 'string', description: 'What is wrong, naming the field' } } };

const security = [{ bearer: [] }, { apiKey: [] }];

/** The HTTP contract of docs/protocol.md#http-routes, served at `GET /openapi.json`. */
export const openApiDocument = {
  openapi: '3.1.0',
  info: {
    title: 'invite-gateway',
    version: '0.1.0',
    description: `ESP ChatService.InviteToChat over HTTP.\n\n| FaultCode | HTTP | when |\n|---|---|---|\n${faultTable}`,
  },
  components: {
    securitySchemes: {
      bearer: { type: 'http', scheme: 'bearer' },
      apiKey: { type: 'apiKey', in: 'header', name: 'X-Api-Key' },
    },
  },
  paths: {
    '/esp': {
      post: {
        summary: 'One ESP Request3rdServer (InviteToChat); the reply is in the request format unless Accept says otherwise',
        security,
        parameters: [
          { name: 'dryRun', in: 'query', schema: { type: 'boolean' }, description: 'Validate and render only (also header X-Dry-Run: true)' },
          { name: 'Idempotency-Key', in: 'header', schema: { type: 'string' } },
        ],
        requestBody: {
          required: true,
          content: {
            'application/json': { schema: { type: 'object', required: ['Request'] } },
            'application/xml': { schema: { type: 'string' } },
            'text/xml': { schema: { type: 'string' } },
            'text/plain': { schema: { type: 'string', description: 'One logged Request3rdServer, tab or typed log style' } },
          },
        },
        responses: Object.fromEntries(
          [200, ...new Set(Object.values(FAULTS).map((row) => row.http)), 413, 415].map((status) => [
            String(status),
            { description: status === 200 ? 'Event3rdServerResponse' : 'Event3rdServerFault', content: { 'application/json': { schema: espReply }, 'application/xml': {} } },
          ]),
        ),
      },
    },
    '/sessions/{id}': {
      parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
      get: {
        summary: 'A session of the caller tenant',
        security,
        responses: { '200': { description: 'The session', content: { 'application/json': { schema: sessionView } } }, '404': { description: 'Unknown or another tenant' } },
      },
      delete: {
        summary: 'Terminate the session; a job not yet sent is dropped',
        security,
        responses: { '200': { description: 'Terminated', content: { 'application/json': { schema: sessionView } } }, '404': { description: 'Unknown' }, '409': { description: 'Already failed' } },
      },
    },
    '/sessions/{id}/messages': {
      parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
      get: {
        summary: "The session's conversation, oldest first, the invite first",
        security,
        parameters: [
          { name: 'after', in: 'query', schema: { type: 'integer' }, description: 'The next cursor of the previous page' },
          { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 500, default: 100 } },
        ],
        responses: {
          '200': { description: 'One page', content: { 'application/json': { schema: { type: 'object', properties: { messages: { type: 'array', items: conversationMessage }, next: { type: ['integer', 'null'] } } } } } },
          '400': { description: 'Bad paging', content: { 'application/json': { schema: errorBody } } },
          '404': { description: 'Unknown or another tenant' },
        },
      },
      post: {
        summary: "An agent's answer: {text, attachments?, author?} or {standardResponseId, Contact?, Agent?, CustomProperties?, author?}",
        security,
        requestBody: { required: true, content: { 'application/json': { schema: { type: 'object' } } } },
        responses: {
          '202': { description: 'Queued', content: { 'application/json': { schema: { type: 'object', properties: { messageId: { type: 'string' } } } } } },
          '400': { description: 'Malformed body, unknown template, a field code without a value', content: { 'application/json': { schema: errorBody } } },
          '404': { description: 'Unknown or another tenant' },
          '409': { description: "Ended session, or outside WhatsApp's 24 h window for free text", content: { 'application/json': { schema: errorBody } } },
        },
      },
    },
    '/sessions/{id}/events': {
      parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
      get: {
        summary: "The session's live feed as Server-Sent Events, resumable with Last-Event-ID",
        security,
        parameters: [{ name: 'Last-Event-ID', in: 'header', schema: { type: 'string' } }],
        responses: { '200': { description: 'message.received, message.status, session.ended', content: { 'text/event-stream': {} } }, '404': { description: 'Unknown or another tenant' } },
      },
    },
    '/suppressions/{channel}': {
      parameters: [{ name: 'channel', in: 'path', required: true, schema: { type: 'string' } }],
      get: {
        summary: "The channel's suppressed customers (masked), paged",
        security,
        parameters: [{ name: 'cursor', in: 'query', schema: { type: 'string' } }, { name: 'count', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 500 } }],
        responses: { '200': { description: 'One page: {suppressions:[{clientId, reason, at}], next}' }, '404': { description: 'Not a channel of the tenant' } },
      },
    },
    '/suppressions/{channel}/{clientId}': {
      parameters: [{ name: 'channel', in: 'path', required: true, schema: { type: 'string' } }, { name: 'clientId', in: 'path', required: true, schema: { type: 'string' } }],
      delete: { summary: 'Lift a suppression', security, responses: { '204': { description: 'Lifted' }, '404': { description: 'None there' } } },
    },
    '/livez': { get: { summary: 'The process runs', responses: { '200': { description: 'ok' } } } },
    '/readyz': { get: { summary: 'Redis answers', responses: { '200': { description: 'ready' }, '503': { description: 'Redis unavailable' } } } },
    '/metrics': { get: { summary: 'Prometheus metrics', responses: { '200': { description: 'text exposition format' } } } },
  },
} as const;
