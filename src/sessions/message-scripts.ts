import { scriptSignature } from '../redis/script-signature.js';
import { ACTIVITY, DELIVERY_MOVES, NOW_MS, PUBLISH_EVENT, SEND_SLOT } from './scripts.js';

/**
 * Lua for the messages agents send inside a conversation. They live in the session's transcript
 * (a list of JSON entries, position n at index n-1) and move like the invite's own delivery.
 */

/** APPEND_OUTBOUND's keys and arguments, by name, in the order the script receives them. */
export const APPEND_OUTBOUND_SIGNATURE = scriptSignature(
  ['sessionKey', 'transcriptKey'] as const,
  ['messageJson'] as const,
);

/**
 * Appends an out message, `delivery: pending`, while the session is still going (not terminated
 * or failed, which refuse an answer).
 * Keys and arguments: APPEND_OUTBOUND_SIGNATURE (`messageJson` without its id).
 * Returns {'appended', messageId, position} | {'ended', state} | {'gone'}
 */
export const APPEND_OUTBOUND = APPEND_OUTBOUND_SIGNATURE.prologue + `
if redis.call('EXISTS', sessionKey) == 0 then return {'gone'} end
local state = redis.call('HGET', sessionKey, 'state')
if state == 'terminated' or state == 'failed' then return {'ended', state} end
local sessionId = string.match(sessionKey, ':session:(%w+)$')
local message = cjson.decode(messageJson)
local position = redis.call('LLEN', transcriptKey) + 1
message.id = sessionId .. '.' .. position
redis.call('RPUSH', transcriptKey, cjson.encode(message))
local ttl = redis.call('PTTL', sessionKey)
if ttl > 0 then redis.call('PEXPIRE', transcriptKey, ttl) end
redis.call('HINCRBY', sessionKey, 'messageCount', 1)
return {'appended', message.id, tostring(position)}
`;

/** CLAIM_OUTBOUND's keys and arguments, by name, in the order the script receives them. */
export const CLAIM_OUTBOUND_SIGNATURE = scriptSignature(
  ['transcriptKey', 'holdKey', 'pacingKey', 'statsKey'] as const,
  ['position', 'credentialsFingerprint', 'intervalMs', 'maxSleepMs', 'attempt'] as const,
);

/**
 * A worker claims an out message for one send attempt: it must still be `pending`, its channel not
 * stopped under the current credentials, and its business number must have a send slot. The
 * attempt is marked in flight; one found still in flight counts as a possible duplicate.
 * Keys and arguments: CLAIM_OUTBOUND_SIGNATURE.
 * Returns {'gone'} | {'skipped', delivery} | {'held', reason} | {'wait', ms} | {'claimed', waitMs, unknownOutcome}
 */
export const CLAIM_OUTBOUND = NOW_MS + SEND_SLOT + CLAIM_OUTBOUND_SIGNATURE.prologue + `
local index = tonumber(position) - 1
local entry = redis.call('LINDEX', transcriptKey, index)
if not entry then return {'gone'} end
local message = cjson.decode(entry)
if message.delivery ~= 'pending' then return {'skipped', message.delivery} end
local hold = redis.call('GET', holdKey)
if hold and string.sub(hold, 1, 64) == credentialsFingerprint then return {'held', string.sub(hold, 66)} end
local wait, longer = takeSendSlot(pacingKey, tonumber(intervalMs), tonumber(maxSleepMs))
if not wait then return {'wait', tostring(longer)} end
local unknownOutcome = '0'
if message.inFlight then
  unknownOutcome = '1'
  redis.call('HINCRBY', statsKey, 'sendsAfterUnknownOutcome', 1)
end
message.inFlight = attempt
redis.call('LSET', transcriptKey, index, cjson.encode(message))
return {'claimed', tostring(wait), unknownOutcome}
`;

/** OUTBOUND_DELIVERY's keys and arguments, by name, in the order the script receives them. */
export const OUTBOUND_DELIVERY_SIGNATURE = scriptSignature(
  ['transcriptKey', 'sessionKey', 'eventsKey', 'providerMessageKey'] as const,
  ['position', 'toDelivery', 'fieldsJson', 'at', 'indexTtlSeconds', 'eventsMaxLen', 'settleAttempt'] as const,
);

/**
 * Moves an out message's delivery (forward only, DELIVERY_MOVES) and notes what came with it; an
 * applied move is a `message.status` event on the tenant's events stream. `sent` also indexes the
 * provider's message id, so status reports find the message.
 * Keys and arguments: OUTBOUND_DELIVERY_SIGNATURE (`providerMessageKey` '' when none; `fieldsJson`:
 * providerMessageId?, error?; `settleAttempt` '0' or '1').
 * Returns 1 when applied, 0 when not, -1 when the message does not exist
 */
export const OUTBOUND_DELIVERY = DELIVERY_MOVES + PUBLISH_EVENT + ACTIVITY + OUTBOUND_DELIVERY_SIGNATURE.prologue + `
local index = tonumber(position) - 1
local entry = redis.call('LINDEX', transcriptKey, index)
if not entry then return -1 end
local message = cjson.decode(entry)
local applied = deliveryMoves(message.delivery, toDelivery)
if settleAttempt == '1' then message.inFlight = nil end
if applied then
  message.delivery = toDelivery
  for field, value in pairs(cjson.decode(fieldsJson)) do message[field] = value end
end
redis.call('LSET', transcriptKey, index, cjson.encode(message))
if not applied then return 0 end
if toDelivery == 'sent' then
  redis.call('HSET', sessionKey, 'lastOutboundAt', at)
  if redis.call('HGET', sessionKey, 'state') == 'open' then touchActivity(sessionKey, string.match(message.id, '^(%w+)%.')) end
end
if providerMessageKey ~= '' then redis.call('SET', providerMessageKey, message.id, 'EX', indexTtlSeconds) end
local data = cjson.encode({messageId = message.id, delivery = message.delivery, error = message.error})
publishEvent(eventsKey, sessionKey, eventsMaxLen, 'message.status', string.match(message.id, '^(%w+)%.'), message.id, at, data)
return 1
`;
