import { FAULTS } from '../esp/faults.js';
import { HTTP_ERROR_CODES } from './errors.js';

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

/** The one error body of every route but `POST /esp` (src/http/errors.ts). */
const errorBody = {
  type: 'object',
  required: ['error', 'code'],
  properties: {
    error: { type: 'string', description: 'What is wrong, naming the field; never quotes the request' },
    code: { type: 'string', enum: HTTP_ERROR_CODES },
  },
};

const error = (description: string) => ({ description, content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } });

/** The answers every route behind an API key may give besides its own. */
const keyed = {
  '401': error('No API key, an unknown one, or an Authorization header that is not `Bearer <key>` (with `WWW-Authenticate: Bearer`)'),
  '503': error('Redis is unavailable (with `Retry-After`)'),
};
const notFound = error('Unknown, or another tenant’s');
const json = (schema: object) => ({ 'application/json': { schema } });

const campaignParameters = {
  type: 'object',
  description: 'The shared invite parameters, ESP spelling (`_umsChannel`, `_umsBusinessId`, `StandardResponseId`, `ChatQueueKey`, `TerminateSessionFlag`, `CustomProperties`)',
  additionalProperties: true,
};
const campaignView = {
  type: 'object',
  properties: {
    campaignId: { type: 'string' },
    name: { type: 'string' },
    state: { enum: ['running', 'paused', 'cancelled', 'done'] },
    total: { type: 'integer' },
    counts: { type: 'object', additionalProperties: { type: 'integer' }, description: 'waiting, pending, sent, delivered, read, failed, refused, duplicate' },
  },
};
const webhookTally = json({ type: 'object', properties: { received: { type: 'integer' }, applied: { type: 'integer' }, duplicates: { type: 'integer' }, unknown: { type: 'integer' }, ignored: { type: 'integer' } } });
const signedWebhook = (summary: string) => ({
  post: {
    summary,
    responses: { '200': { description: 'What the reports became', content: webhookTally }, '400': error('A payload shape the provider never sends, naming the field'), '401': error('No signature, a wrong one, or one outside the time window'), '503': keyed['503'] },
  },
});

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
    schemas: { Error: errorBody },
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
        responses: { '200': { description: 'The session', content: json(sessionView) }, '404': notFound, ...keyed },
      },
      delete: {
        summary: 'Terminate the session; a job not yet sent is dropped',
        security,
        responses: { '200': { description: 'Terminated', content: json(sessionView) }, '404': notFound, '409': error('Already failed'), ...keyed },
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
          '400': error('Bad paging'),
          '404': notFound,
          ...keyed,
        },
      },
      post: {
        summary: "An agent's answer: {text, attachments?, author?} or {standardResponseId, Contact?, Agent?, CustomProperties?, author?}",
        security,
        requestBody: { required: true, content: { 'application/json': { schema: { type: 'object' } } } },
        responses: {
          '202': { description: 'Queued', content: { 'application/json': { schema: { type: 'object', properties: { messageId: { type: 'string' } } } } } },
          '400': error('Malformed body, unknown template, a field code without a value'),
          '404': notFound,
          '409': error("Ended session, or outside WhatsApp's 24 h window for free text"),
          ...keyed,
        },
      },
    },
    '/sessions/{id}/events': {
      parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
      get: {
        summary: "The session's live feed as Server-Sent Events, resumable with Last-Event-ID",
        security,
        parameters: [{ name: 'Last-Event-ID', in: 'header', schema: { type: 'string' } }],
        responses: { '200': { description: 'message.received, message.status, session.ended', content: { 'text/event-stream': {} } }, '404': notFound, ...keyed },
      },
    },
    '/suppressions/{channel}': {
      parameters: [{ name: 'channel', in: 'path', required: true, schema: { type: 'string' } }],
      get: {
        summary: "The channel's suppressed customers (masked), paged",
        security,
        parameters: [{ name: 'cursor', in: 'query', schema: { type: 'string' } }, { name: 'count', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 500 } }],
        responses: { '200': { description: 'One page: {suppressions:[{clientId, reason, at}], next}' }, '400': error('Bad count'), '404': error('Not a channel of the tenant'), ...keyed },
      },
    },
    '/suppressions/{channel}/{clientId}': {
      parameters: [{ name: 'channel', in: 'path', required: true, schema: { type: 'string' } }, { name: 'clientId', in: 'path', required: true, schema: { type: 'string' } }],
      delete: { summary: 'Lift a suppression', security, responses: { '204': { description: 'Lifted' }, '404': error('None there'), ...keyed } },
    },
    '/channels/{name}/resume': {
      parameters: [{ name: 'name', in: 'path', required: true, schema: { type: 'string' } }],
      post: {
        summary: 'Lift a channel stop after the provider unblocked the account',
        security,
        responses: { '200': { description: '{channel, resumed}', content: json({ type: 'object', properties: { channel: { type: 'string' }, resumed: { type: 'boolean' } } }) }, '404': error('Not a channel of the tenant'), ...keyed },
      },
    },
    '/campaigns': {
      post: {
        summary: 'Store a campaign (JSON, or CSV with the shared parameters in the query string); sessions are made as it runs',
        security,
        parameters: [{ name: 'dryRun', in: 'query', schema: { type: 'boolean' }, description: 'Validate and render every row, store and send nothing' }],
        requestBody: {
          required: true,
          content: {
            'application/json': { schema: { type: 'object', required: ['parameters', 'recipients'], properties: { name: { type: 'string' }, parameters: campaignParameters, UserData: { type: 'object' }, recipients: { type: 'array', items: { type: 'object' } } } } },
            'text/csv': { schema: { type: 'string', description: 'Columns `_umsClientId`, `Contact.<Field>`, `Agent.<Field>`, `CustomProperties.<Key>`, `UserData.<Key>`' } },
          },
        },
        responses: {
          '202': { description: 'Stored', content: json({ type: 'object', properties: { campaignId: { type: 'string' }, rows: { type: 'integer' } } }) },
          '200': { description: 'Dry run: {rows, wouldSend, duplicate, refused, faults:[{row, FaultCode, FaultString}]}' },
          '400': { description: 'The shared parameters or the file refused whole: an ESP fault (same codes as POST /esp, JSON body)', content: json(espReply) },
          '413': { description: 'Over an upload limit: ESP fault 1001', content: json(espReply) },
          '415': { description: 'Neither JSON nor CSV: ESP fault 1001', content: json(espReply) },
          '401': keyed['401'],
          '503': { description: 'Redis is unavailable: ESP fault 1050 with Retry-After', content: json(espReply) },
        },
      },
    },
    '/campaigns/{id}': {
      parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
      get: { summary: 'A campaign of the caller tenant and its counts', security, responses: { '200': { description: 'The campaign', content: json(campaignView) }, '404': notFound, ...keyed } },
    },
    '/campaigns/{id}/rows': {
      parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
      get: {
        summary: 'Rows in one state (masked numbers), paged',
        security,
        parameters: [
          { name: 'state', in: 'query', schema: { enum: ['refused', 'failed', 'duplicate'], default: 'refused' } },
          { name: 'offset', in: 'query', schema: { type: 'integer', minimum: 0 } },
          { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 1000 } },
        ],
        responses: { '200': { description: '{total, rows:[{row, _umsClientId, state, sessionId?, FaultCode?, FaultString?}]}' }, '400': error('Unknown state'), '404': notFound, ...keyed },
      },
    },
    ...Object.fromEntries(
      ['pause', 'resume', 'cancel'].map((action) => [
        `/campaigns/{id}/${action}`,
        {
          parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
          post: { summary: `${action[0]!.toUpperCase()}${action.slice(1)} the campaign`, security, responses: { '200': { description: '{campaignId, state}' }, '404': notFound, '409': error(`The campaign's state does not allow ${action}`), ...keyed } },
        },
      ]),
    ),
    '/webhooks/whatsapp': {
      get: { summary: "Meta's verification handshake (hub.mode, hub.verify_token, hub.challenge)", responses: { '200': { description: 'The challenge, text/plain' }, '403': error('Not a configured verify token') } },
      ...signedWebhook('WhatsApp Cloud API status reports and inbound messages, signed with X-Hub-Signature-256'),
    },
    '/webhooks/sinch': signedWebhook('Sinch delivery reports and inbound messages, signed with x-sinch-webhook-signature'),
    '/webhooks/apple': signedWebhook('Apple MSP messages and receipts, with a signed bearer token'),
    '/webhooks/inbound/{channel}': {
      parameters: [{ name: 'channel', in: 'path', required: true, schema: { type: 'string' } }],
      ...signedWebhook("The webhook connector's customer messages, signed with the channel's secret"),
    },
    '/livez': { get: { summary: 'The process runs', responses: { '200': { description: 'ok' } } } },
    '/readyz': { get: { summary: 'Redis answers', responses: { '200': { description: '{status: ready}' }, '503': { description: '{status: redis unavailable}, with Retry-After' } } } },
    '/openapi.json': { get: { summary: 'This document', responses: { '200': { description: 'OpenAPI 3.1' } } } },
    '/metrics': { get: { summary: 'Prometheus metrics', responses: { '200': { description: 'text exposition format' } } } },
  },
} as const;
