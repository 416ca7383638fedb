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
      properties: { code: { type: 'string' }, providerCode: { type: ['integer', 'null'] }, message: { type: 'string' } },
    },
    history: { type: 'array', items: { type: 'object', properties: { event: { type: 'string' }, at: { type: 'string', format: 'date-time' } } } },
    userData: { type: 'object', additionalProperties: true },
  },
};

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
    '/livez': { get: { summary: 'The process runs', responses: { '200': { description: 'ok' } } } },
    '/readyz': { get: { summary: 'Redis answers', responses: { '200': { description: 'ready' }, '503': { description: 'Redis unavailable' } } } },
    '/metrics': { get: { summary: 'Prometheus metrics', responses: { '200': { description: 'text exposition format' } } } },
  },
} as const;
