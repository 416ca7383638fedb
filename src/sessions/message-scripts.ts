import { ACTIVITY, DELIVERY_MOVES, NOW_MS, PUBLISH_EVENT, SEND_SLOT } from './scripts.js';

/**
 * Lua for the messages agents send inside a conversation. They live in the session's transcript
 * (a list of JSON entries, position n at index n-1) and move like the invite's own delivery.
 */

/**
 * Appends an out message, `delivery: pending`, while the session is still going (not terminated
 * or failed, which refuse an answer).
 * KEYS: session hash, transcript list
 * ARGV: messageJson (without id)
 * Returns {'appended', messageId, position} | {'ended', state} | {'gone'}
 */
export const APPEND_OUTBOUND = `
if redis.call('EXISTS', KEYS[1]) == 0 then return {'gone'} end
local state = redis.call('HGET', KEYS[1], 'state')
if state == 'terminated' or state == 'failed' then return {'ended', state} end
local sessionId = string.match(KEYS[1], ':session:(%w+)$')
local message = cjson.decode(ARGV[1])
local position = redis.call('LLEN', KEYS[2]) + 1
message.id = sessionId .. '.' .. position
redis.call('RPUSH', KEYS[2], cjson.encode(message))
local ttl = redis.call('PTTL', KEYS[1])
if ttl > 0 then redis.call('PEXPIRE', KEYS[2], ttl) end
redis.call('HINCRBY', KEYS[1], 'messageCount', 1)
return {'appended', message.id, tostring(position)}
`;

/**
 * A worker claims an out message for one send attempt: it must still be `pending`, its channel not
 * stopped under the current credentials, and its business number must have a send slot. The
 * attempt is marked in flight; one found still in flight counts as a possible duplicate.
 * KEYS: transcript list, channel hold, pacing key, stats hash
 * ARGV: position, credentialsFingerprint, intervalMs, maxSleepMs, attempt
 * Returns {'gone'} | {'skipped', delivery} | {'held', reason} | {'wait', ms} | {'claimed', waitMs, unknownOutcome}
 */
export const CLAIM_OUTBOUND = NOW_MS + SEND_SLOT + `
local index = tonumber(ARGV[1]) - 1
local entry = redis.call('LINDEX', KEYS[1], index)
if not entry then return {'gone'} end
local message = cjson.decode(entry)
if message.delivery ~= 'pending' then return {'skipped', message.delivery} end
local hold = redis.call('GET', KEYS[2])
if hold and string.sub(hold, 1, 64) == ARGV[2] then return {'held', string.sub(hold, 66)} end
local wait, longer = takeSendSlot(KEYS[3], tonumber(ARGV[3]), tonumber(ARGV[4]))
if not wait then return {'wait', tostring(longer)} end
local unknownOutcome = '0'
if message.inFlight then
  unknownOutcome = '1'
  redis.call('HINCRBY', KEYS[4], 'sendsAfterUnknownOutcome', 1)
end
message.inFlight = ARGV[5]
redis.call('LSET', KEYS[1], index, cjson.encode(message))
return {'claimed', tostring(wait), unknownOutcome}
`;

/**
 * Moves an out message's delivery (forward only, DELIVERY_MOVES) and notes what came with it; an
 * applied move is a `message.status` event on the tenant's events stream. `sent` also indexes the
 * provider's message id, so status reports find the message.
 * KEYS: transcript list, session hash, tenant events stream, provider-message index (or '')
 * ARGV: position, toDelivery, fieldsJson (providerMessageId?, error?), at, indexTtlSeconds, eventsMaxLen, settleAttempt '0'|'1'
 * Returns 1 when applied, 0 when not, -1 when the message does not exist
 */
export const OUTBOUND_DELIVERY = DELIVERY_MOVES + PUBLISH_EVENT + ACTIVITY + `
local index = tonumber(ARGV[1]) - 1
local entry = redis.call('LINDEX', KEYS[1], index)
if not entry then return -1 end
local message = cjson.decode(entry)
local applied = deliveryMoves(message.delivery, ARGV[2])
if ARGV[7] == '1' then message.inFlight = nil end
if applied then
  message.delivery = ARGV[2]
  for field, value in pairs(cjson.decode(ARGV[3])) do message[field] = value end
end
redis.call('LSET', KEYS[1], index, cjson.encode(message))
if not applied then return 0 end
if ARGV[2] == 'sent' then
  redis.call('HSET', KEYS[2], 'lastOutboundAt', ARGV[4])
  if redis.call('HGET', KEYS[2], 'state') == 'open' then touchActivity(KEYS[2], string.match(message.id, '^(%w+)%.')) end
end
if KEYS[4] ~= '' then redis.call('SET', KEYS[4], message.id, 'EX', ARGV[5]) end
local data = cjson.encode({messageId = message.id, delivery = message.delivery, error = message.error})
publishEvent(KEYS[3], KEYS[2], ARGV[6], 'message.status', string.match(message.id, '^(%w+)%.'), message.id, ARGV[4], data)
return 1
`;
