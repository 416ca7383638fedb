import { scriptSignature } from '../redis/script-signature.js';
import { ACTIVITY, PUBLISH_EVENT, WRITE_SESSION_HASH } from '../sessions/scripts.js';

/** RECORD_INBOUND's keys and arguments, by name, in the order the script receives them. */
export const RECORD_INBOUND_SIGNATURE = scriptSignature(
  ['seenKey', 'quotedIndexKey', 'customerSessionKey', 'eventsKey', 'newSessionKey', 'newHistoryKey', 'inboundQueueKey'] as const,
  ['at', 'sessionTtlSeconds', 'seenTtlSeconds', 'tenant', 'channel', 'messageJson', 'newSessionFieldsJson', 'newSessionId', 'chatQueueFieldsJson', 'chatQueueMaxLen', 'eventsMaxLen', 'customerName', 'correlatedSessionId'] as const,
);

/**
 * Records one customer message in one step, so two deliveries of it, or two messages of a customer
 * arriving together, cannot open two sessions or lose one:
 * 1. a provider message id seen before answers `duplicate` (with the message id it was recorded as);
 * 2. the session: the one whose message the customer quoted, else the one the provider correlates
 *    it with, else the customer's newest open session
 *    on this channel and business id, each only while it is not ended and belongs to the tenant and
 *    channel of the webhook's signer; else a new `Inbound` session, `open` at once and placed in the
 *    channel's inbound chat queue, like any opened session;
 * 3. the message is appended to the session's transcript, the session notes it, and the tenant's
 *    events stream gets `message.received`.
 * Keys and arguments: RECORD_INBOUND_SIGNATURE. `quotedIndexKey` is '' when the message quotes none;
 * the `newSession…` keys and fields are used only when no session fits; `chatQueueFieldsJson` is a flat
 * list; `correlatedSessionId` ('' = none) is the session the provider ties the message to, checked like a quote.
 * Returns {'duplicate', messageId} | {'recorded', sessionId, created '0'|'1', messageId}
 */
export const RECORD_INBOUND = PUBLISH_EVENT + WRITE_SESSION_HASH + ACTIVITY + RECORD_INBOUND_SIGNATURE.prologue + `
local seen = redis.call('GET', seenKey)
if seen then return {'duplicate', seen} end

local sessionKeyPrefix = string.sub(newSessionKey, 1, #newSessionKey - #newSessionId)
local function ongoing(id)
  if not id then return false end
  local f = redis.call('HMGET', sessionKeyPrefix .. id, 'tenant', 'channel', 'state')
  return f[1] == tenant and f[2] == channel and (f[3] == 'open' or f[3] == 'sending' or f[3] == 'queued')
end

local sessionId, created = nil, '0'
if quotedIndexKey ~= '' then
  local quoted = redis.call('GET', quotedIndexKey)
  if ongoing(quoted) then sessionId = quoted end
end
if not sessionId and correlatedSessionId ~= '' and ongoing(correlatedSessionId) then sessionId = correlatedSessionId end
if not sessionId then
  local newest = redis.call('GET', customerSessionKey)
  if ongoing(newest) then sessionId = newest end
end
if not sessionId then
  sessionId, created = newSessionId, '1'
  writeSessionHash(newSessionKey, newSessionFieldsJson, sessionTtlSeconds)
  redis.call('RPUSH', newHistoryKey, cjson.encode({event = 'state:open', at = at}))
  redis.call('EXPIRE', newHistoryKey, sessionTtlSeconds)
  local args = {inboundQueueKey, 'MAXLEN', '~', chatQueueMaxLen, '*'}
  for _, value in ipairs(cjson.decode(chatQueueFieldsJson)) do args[#args + 1] = value end
  redis.call('XADD', unpack(args))
  redis.call('SET', customerSessionKey, sessionId, 'EX', sessionTtlSeconds)
end

local sessionKey = sessionKeyPrefix .. sessionId
local messagesKey = sessionKey .. ':messages'
local message = cjson.decode(messageJson)
message.id = sessionId .. '.' .. (redis.call('LLEN', messagesKey) + 1)
local encoded = cjson.encode(message)
redis.call('RPUSH', messagesKey, encoded)
-- The transcript lives as long as its session.
local ttl = redis.call('PTTL', sessionKey)
if ttl > 0 then redis.call('PEXPIRE', messagesKey, ttl) end
redis.call('HSET', sessionKey, 'lastInboundAt', at, 'engaged', '1')
if redis.call('HGET', sessionKey, 'state') == 'open' then touchActivity(sessionKey, sessionId) end
redis.call('HINCRBY', sessionKey, 'messageCount', 1)
if customerName ~= '' then redis.call('HSET', sessionKey, 'customerName', customerName) end
publishEvent(eventsKey, sessionKey, eventsMaxLen, 'message.received', sessionId, message.id, at, encoded)
redis.call('SET', seenKey, message.id, 'EX', seenTtlSeconds)
return {'recorded', sessionId, created, message.id}
`;
