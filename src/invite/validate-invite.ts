import type { ChannelConfig, TenantConfig } from '../config/schema.js';
import { fault } from '../esp/faults.js';
import { getEntry, isKvList, newKvList, scalarToString, type KvList, type KvValue } from '../esp/kvlist.js';
import type { EspRequest } from '../esp/model.js';
import { isChatQueueKey, parseChatQueueKey } from '../esp/chat-queue-key.js';
import { PHONE_NUMBER, PHONE_NUMBER_EXAMPLE_PHRASE } from '../esp/phone-number.js';
import type { InviteCommand, SharedInviteParameters } from './invite-command.js';

/**
 * Checks an InviteToChat request against the parameter table (docs/protocol.md#parameters) for the caller's
 * tenant and turns it into an `InviteCommand`. Checks run in the contract's fault order
 * (service/method/app, missing parameters, channel and business id, formats, ChatQueueKey tenant),
 * so the first fault thrown is the one the contract says to answer.
 */
export function validateInvite(request: EspRequest, tenant: TenantConfig): InviteCommand {
  const { shared, clientId } = readInvite(request, tenant, 'in the request');
  return { ...shared, clientId: clientId! };
}

/**
 * A campaign's shared parameters, checked as an invite's (same faults, same order) but for the
 * recipient, which each row gives: `_umsClientId` here is refused (1011).
 */
export function validateSharedParameters(request: EspRequest, tenant: TenantConfig): SharedInviteParameters {
  return readInvite(request, tenant, 'in each row').shared;
}

function readInvite(request: EspRequest, tenant: TenantConfig, recipient: 'in the request' | 'in each row'): { shared: SharedInviteParameters; clientId?: string } {
  checkServiceAndApplication(request.request);
  const parameters = parametersOf(request.request);
  const clientId = recipient === 'in the request' ? requiredString(parameters, '_umsClientId') : undefined;
  const businessId = requiredString(parameters, '_umsBusinessId');
  const channel = resolveChannel(parameters, tenant);
  checkBusinessId(channel, businessId);

  if (clientId !== undefined) checkClientId(channel, clientId);
  else if (getEntry(parameters, '_umsClientId') !== undefined) throw fault('malformedParameter', '_umsClientId belongs in each recipient, not in the shared parameters');
  const chatQueueKey = optionalString(parameters, 'ChatQueueKey') || channel.inboundRouteByCall;
  if (!isChatQueueKey(chatQueueKey)) {
    throw fault('malformedParameter', `ChatQueueKey "${chatQueueKey}" must be <tenant-id>:<chat endpoint name>, e.g. ${tenant.id}:session-WA-sendSR`);
  }
  const terminate = booleanParameter(optionalString(parameters, 'TerminateSessionFlag'), 'TerminateSessionFlag');
  const contact = optionalList(parameters, 'Contact');
  const agent = optionalList(parameters, 'Agent');
  const customProperties = optionalList(parameters, 'CustomProperties');
  const userData = request.userData ?? newKvList();
  const outboundFlag = getEntry(userData, 'GCTI_Chat_SubmitAsOutbound');
  const outbound = booleanParameter(
    outboundFlag === undefined || isKvList(outboundFlag) ? '' : scalarToString(outboundFlag),
    'UserData.GCTI_Chat_SubmitAsOutbound',
  );

  const queueTenant = parseChatQueueKey(chatQueueKey).tenant;
  if (queueTenant !== tenant.id) {
    throw fault('forbidden', `ChatQueueKey "${chatQueueKey}" belongs to tenant ${queueTenant}; this API key may only use tenant ${tenant.id}`);
  }

  const shared = {
    tenant,
    channel,
    businessId,
    standardResponseId: optionalString(parameters, 'StandardResponseId') || null,
    chatQueueKey,
    terminate,
    contact,
    agent,
    customProperties,
    userData,
    outbound,
  };
  return { shared, clientId };
}

function checkServiceAndApplication(request: KvList): void {
  const service = stringOrEmpty(getEntry(request, 'Service'));
  const method = stringOrEmpty(getEntry(request, 'Method'));
  if (service !== 'ChatService') {
    throw fault('wrongServiceOrMethod', service ? `Service "${service}" is not supported: this gateway serves ChatService` : 'Service is missing: expected ChatService');
  }
  if (method !== 'InviteToChat') {
    throw fault('wrongServiceOrMethod', method ? `Method "${method}" is not supported: ChatService serves InviteToChat` : 'Method is missing: expected InviteToChat');
  }
  if (!stringOrEmpty(getEntry(request, 'AppName')) && !stringOrEmpty(getEntry(request, 'AppType'))) {
    throw fault('noApplication', 'neither AppName nor AppType is given: one of them must name the messaging server');
  }
}

function parametersOf(request: KvList): KvList {
  const parameters = getEntry(request, 'Parameters');
  if (parameters === undefined) throw fault('missingParameter', 'Parameters is missing: _umsClientId and _umsBusinessId are required');
  if (!isKvList(parameters)) throw fault('malformedParameter', 'Parameters must be a list, not a single value');
  return parameters;
}

function resolveChannel(parameters: KvList, tenant: TenantConfig): ChannelConfig {
  const name = optionalString(parameters, '_umsChannel');
  if (!name) {
    if (tenant.channels.length === 1) return tenant.channels[0] as ChannelConfig;
    throw fault('unknownChannel', `_umsChannel is missing and tenant ${tenant.id} has ${tenant.channels.length} channels (${channelNames(tenant)}): name one`);
  }
  const channel = tenant.channels.find((candidate) => candidate.name === name);
  if (!channel) throw fault('unknownChannel', `_umsChannel "${name}" is not a channel of tenant ${tenant.id} (known: ${channelNames(tenant)})`);
  return channel;
}

function channelNames(tenant: TenantConfig): string {
  return tenant.channels.map((channel) => channel.name).join(', ');
}

function checkBusinessId(channel: ChannelConfig, businessId: string): void {
  if (!channel.businessIds.includes(businessId)) {
    throw fault('unknownBusinessId', `_umsBusinessId "${businessId}" is not a business id of channel ${channel.name}`);
  }
}

function checkClientId(channel: ChannelConfig, clientId: string): void {
  if (channel.type === 'apple') {
    // Apple's conversation ids are opaque: only refuse what cannot be an id at all.
    if (clientId.length > 256 || /\s/.test(clientId)) {
      throw fault('malformedParameter', '_umsClientId is not an Apple Messages for Business conversation id (no spaces, at most 256 characters)');
    }
    return;
  }
  if (!PHONE_NUMBER.test(clientId)) {
    throw fault('malformedParameter', `_umsClientId is not a phone number: ${channel.type} needs an E.164 number ${PHONE_NUMBER_EXAMPLE_PHRASE} (digits only, 7 to 15)`);
  }
}

function booleanParameter(value: string, name: string): boolean {
  if (value === '') return false;
  const lower = value.toLowerCase();
  if (lower === 'true') return true;
  if (lower === 'false') return false;
  throw fault('malformedParameter', `${name} "${value}" must be true or false`);
}

function requiredString(parameters: KvList, name: string): string {
  const value = optionalString(parameters, name);
  if (!value) throw fault('missingParameter', `${name} is missing or empty`);
  return value;
}

/** A string parameter; a `ValueInt` reads as its decimal string, a list is malformed. */
function optionalString(parameters: KvList, name: string): string {
  const value = getEntry(parameters, name);
  if (value === undefined) return '';
  if (isKvList(value)) throw fault('malformedParameter', `${name} must be a string, not a list`);
  return scalarToString(value).trim();
}

function optionalList(parameters: KvList, name: string): KvList {
  const value = getEntry(parameters, name);
  if (value === undefined) return newKvList();
  if (!isKvList(value)) throw fault('malformedParameter', `${name} must be a list (KVList) of field values, not a single value`);
  return value;
}

function stringOrEmpty(value: KvValue | undefined): string {
  return value === undefined || isKvList(value) ? '' : scalarToString(value).trim();
}
