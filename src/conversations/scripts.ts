import { ACTIVITY, PUBLISH_EVENT, WRITE_SESSION_HASH } from '../sessions/scripts.js';

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
 * KEYS: seen key, quoted provider-message index (or ''), customer's session key, tenant events stream,
 *       new session hash, new session history, inbound chat-queue stream
 * ARGV: at, sessionTtlSeconds, seenTtlSeconds, tenant, channel, messageJson, newSessionFieldsJson,
 *       newSessionId, chatQueueFieldsJson (flat list), chatQueueMaxLen, eventsMaxLen, customerName,
 *       correlatedSessionId ('' = none: the session the provider ties the message to, checked like a quote)
 * Returns {'duplicate', messageId} | {'recorded', sessionId, created '0'|'1', messageId}
 */
export const RECORD_INBOUND = PUBLISH_EVENT + WRITE_SESSION_HASH + ACTIVITY + `
local seen = redis.call('GET', KEYS[1])
if seen then return {'duplicate', seen} end

local sessionKeyPrefix = string.sub(KEYS[5], 1, #KEYS[5] - #ARGV[8])
local function ongoing(id)
  if not id then return false end
  local f = redis.call('HMGET', sessionKeyPrefix .. id, 'tenant', 'channel', 'state')
  return f[1] == ARGV[4] and f[2] == ARGV[5] and (f[3] == 'open' or f[3] == 'sending' or f[3] == 'queued')
end

local sessionId, created = nil, '0'
if KEYS[2] ~= '' then
  local quoted = redis.call('GET', KEYS[2])
  if ongoing(quoted) then sessionId = quoted end
end
if not sessionId and ARGV[13] ~= '' and ongoing(ARGV[13]) then sessionId = ARGV[13] end
if not sessionId then
  local newest = redis.call('GET', KEYS[3])
  if ongoing(newest) then sessionId = newest end
end
if not sessionId then
  sessionId, created = ARGV[8], '1'
  writeSessionHash(KEYS[5], ARGV[7], ARGV[2])
  redis.call('RPUSH', KEYS[6], cjson.encode({event = 'state:open', at = ARGV[1]}))
  redis.call('EXPIRE', KEYS[6], ARGV[2])
  local args = {KEYS[7], 'MAXLEN', '~', ARGV[10], '*'}
  for _, value in ipairs(cjson.decode(ARGV[9])) do args[#args + 1] = value end
  redis.call('XADD', unpack(args))
  redis.call('SET', KEYS[3], sessionId, 'EX', ARGV[2])
end

local sessionKey = sessionKeyPrefix .. sessionId
local messagesKey = sessionKey .. ':messages'
local message = cjson.decode(ARGV[6])
message.id = sessionId .. '.' .. (redis.call('LLEN', messagesKey) + 1)
local encoded = cjson.encode(message)
redis.call('RPUSH', messagesKey, encoded)
-- The transcript lives as long as its session.
local ttl = redis.call('PTTL', sessionKey)
if ttl > 0 then redis.call('PEXPIRE', messagesKey, ttl) end
redis.call('HSET', sessionKey, 'lastInboundAt', ARGV[1], 'engaged', '1')
if redis.call('HGET', sessionKey, 'state') == 'open' then touchActivity(sessionKey, sessionId) end
redis.call('HINCRBY', sessionKey, 'messageCount', 1)
if ARGV[12] ~= '' then redis.call('HSET', sessionKey, 'customerName', ARGV[12]) end
publishEvent(KEYS[4], sessionKey, ARGV[11], 'message.received', sessionId, message.id, ARGV[1], encoded)
redis.call('SET', KEYS[1], message.id, 'EX', ARGV[3])
return {'recorded', sessionId, created, message.id}
`;
