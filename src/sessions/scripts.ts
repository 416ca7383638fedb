import { scriptSignature } from '../redis/script-signature.js';

/**
 * Lua scripts that keep each session change atomic: a reader never sees a session half written,
 * two writers (worker, status reports, DELETE) cannot interleave, and a rejected transition
 * changes nothing.
 */

/**
 * Lua shared by the scripts below. A session is written `confirmed = 0` with a deadline
 * (`confirmBy`, ms on Redis's clock); the API confirms it once the session and its delivery job are
 * both stored, and answers success only when that confirmation came back in time. A session that
 * was never confirmed is never sent: past its deadline it is withdrawn, so an invite the caller was
 * told had failed (1050) cannot reach the customer when a paused or slow Redis catches up.
 */
export const NOW_MS = `
local function nowMs()
  local time = redis.call('TIME')
  return tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
end
`;

/**
 * Whether a message's delivery may move from `current` to `to`: only forward along
 * `pending -> sent -> delivered -> read`, or to `failed` before it was delivered; `none` and
 * `failed` never move (a late `delivered` after `read` changes nothing).
 */
export const DELIVERY_MOVES = `
local deliveryRank = {none = -1, pending = 0, sent = 1, delivered = 2, read = 3}
local function deliveryMoves(current, to)
  if to == '' or current == 'none' or current == 'failed' then return false end
  if to == 'failed' then return current == 'pending' or current == 'sent' end
  return deliveryRank[to] ~= nil and deliveryRank[current] ~= nil and deliveryRank[to] > deliveryRank[current]
end
`;

/**
 * Appends a conversation event to the tenant's events stream (routing reads it with a consumer
 * group) and, under the same id, to the session's own stream (`GET /sessions/:id/events` serves
 * it as Server-Sent Events, resumable with that id), which lives as long as the session.
 * fields: {event, sessionId, chatQueueKey, messageId, at, data}
 */
export const PUBLISH_EVENT = `
local function publishEvent(tenantStream, sessionKey, maxLen, event, sessionId, messageId, at, data)
  local chatQueueKey = redis.call('HGET', sessionKey, 'chatQueueKey') or ''
  local id = redis.call('XADD', tenantStream, 'MAXLEN', '~', maxLen, '*', 'event', event, 'sessionId', sessionId,
    'chatQueueKey', chatQueueKey, 'messageId', messageId, 'at', at, 'data', data)
  local sessionStream = sessionKey .. ':events'
  redis.call('XADD', sessionStream, 'MAXLEN', '~', 1000, id, 'event', event, 'sessionId', sessionId,
    'chatQueueKey', chatQueueKey, 'messageId', messageId, 'at', at, 'data', data)
  local ttl = redis.call('PTTL', sessionKey)
  if ttl > 0 then redis.call('PEXPIRE', sessionStream, ttl) end
  return id
end
`;

/** Writes a session hash from one JSON object of its fields (one argument instead of many), with its TTL. */
export const WRITE_SESSION_HASH = `
local function writeSessionHash(key, fieldsJson, ttlSeconds)
  local fields = {}
  for field, value in pairs(cjson.decode(fieldsJson)) do
    fields[#fields + 1] = field
    fields[#fields + 1] = value
  end
  redis.call('HSET', key, unpack(fields))
  redis.call('EXPIRE', key, ttlSeconds)
end
`;

/**
 * Notes activity in a session (opened, a message either way) in the sorted set the idle sweeper
 * reads (`<prefix>:activity`, score = ms on Redis's clock), or takes an ended session out of it.
 */
export const ACTIVITY = `
local function activityKey(sessionKey)
  return string.match(sessionKey, '^(.*):session:%w+$') .. ':activity'
end
local function touchActivity(sessionKey, sessionId)
  local time = redis.call('TIME')
  redis.call('ZADD', activityKey(sessionKey), tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000), sessionId)
end
local function forgetActivity(sessionKey, sessionId)
  redis.call('ZREM', activityKey(sessionKey), sessionId)
end
`;

/**
 * A send slot of one business number (GCRA: the number keeps the time of its next free slot and
 * moves it on by 1/rate per send). Answers the ms to sleep for the slot, or nil and the wait when
 * it is longer than `maxSleepMs` (no slot is taken then: the job goes back to the queue).
 */
export const SEND_SLOT = `
local function takeSendSlot(pacingKey, intervalMs, maxSleepMs)
  local now = nowMs()
  local nextSlot = tonumber(redis.call('GET', pacingKey) or '0')
  if nextSlot < now then nextSlot = now end
  local wait = math.ceil(nextSlot - now)
  if wait > maxSleepMs then return nil, wait end
  redis.call('SET', pacingKey, tostring(nextSlot + intervalMs), 'PX', math.ceil(wait + intervalMs) + 1000)
  return wait
end
`;

/**
 * Removes a session that will never be sent (its invite was answered with a fault): the hash, its
 * history, its place in the tenant backlog, and its idempotency key when the key still points at it
 * (faults are not remembered, so the caller may retry with the same key).
 */
const WITHDRAW = `
local function withdraw(sessionKey, historyKey, backlogKey, sessionId)
  local idemKey = redis.call('HGET', sessionKey, 'idemKey')
  local state = redis.call('HGET', sessionKey, 'state')
  redis.call('DEL', sessionKey, historyKey)
  if state == 'queued' and backlogKey ~= '' and tonumber(redis.call('GET', backlogKey) or '0') > 0 then
    redis.call('DECR', backlogKey)
  end
  if idemKey and idemKey ~= '' then
    local claim = redis.call('GET', idemKey)
    if claim and string.match(claim, ':(%w+)$') == sessionId then redis.call('DEL', idemKey) end
  end
end
`;

/**
 * Answers nil when the session may be worked on (confirmed, or written before confirmations
 * existed), {'unconfirmed', msToDeadline} while its confirmation may still come, and withdraws
 * it, answering {'withdrawn'}, once the deadline has passed unconfirmed.
 */
const CONFIRMATION_GUARD = `
local function confirmationGuard(sessionKey, historyKey, backlogKey, sessionId, statsKey)
  local fields = redis.call('HMGET', sessionKey, 'confirmed', 'confirmBy')
  if fields[1] ~= '0' then return nil end
  local left = tonumber(fields[2] or '0') - nowMs()
  if left >= 0 then return {'unconfirmed', tostring(left + 1)} end
  withdraw(sessionKey, historyKey, backlogKey, sessionId)
  redis.call('HINCRBY', statsKey, 'withdrawnUnconfirmed', 1)
  return {'withdrawn'}
end
`;

/** CREATE_SESSION's keys and arguments, by name; `SessionStore.create` passes them so. */
export const CREATE_SESSION_SIGNATURE = scriptSignature(
  ['sessionKey', 'historyKey', 'backlogKey', 'idempotencyKey', 'recipientCountKey', 'suppressionKey', 'holdKey'] as const,
  [
    'ttlSeconds',
    'backlogLimit',
    'historyEntryJson',
    'requestHash',
    'idempotencyTtlSeconds',
    'sessionId',
    'recipientMax',
    'recipientWindowSeconds',
    'fieldsJson',
    'credentialsFingerprint',
  ] as const,
);

/**
 * Creates a session, or answers the session an idempotency key already points at. What must be
 * atomic with the write is enforced here (the decisions and their faults are src/invite/policy.ts):
 * a channel stopped under these credentials, a suppressed recipient, the per-recipient cap (so a
 * replayed invite is recognised before it could count against the cap, and two concurrent invites
 * cannot both slip under it), and the tenant's backlog.
 * Keys and arguments: CREATE_SESSION_SIGNATURE. `idempotencyKey` and `recipientCountKey` are '' when
 * unused; `fieldsJson` is one JSON object (fewer arguments to encode); a hold set under other
 * credentials (`credentialsFingerprint`) no longer applies.
 * The session is written unconfirmed (its fields carry `confirmed = 0`, `confirmBy` and `idemKey`):
 * CONFIRM_SESSION makes it sendable.
 * Returns {'created', id} | {'replayed', id} | {'conflict', id} | {'inflight', id} | {'held', reason}
 *       | {'suppressed', suppressionJson} | {'limited', ''} | {'full', ''} | {'exists', ''}
 */
export const CREATE_SESSION = NOW_MS + WITHDRAW + WRITE_SESSION_HASH + CREATE_SESSION_SIGNATURE.prologue + `
local previous = nil
if idempotencyKey ~= '' then
  previous = redis.call('GET', idempotencyKey)
  if previous then
    local hash, id = string.match(previous, '^(%x+):(%w+)$')
    -- The key's first request may still be unconfirmed: wait for it, or forget it past its deadline.
    local previousKey = string.gsub(sessionKey, '%w+$', id)
    local pending = redis.call('HMGET', previousKey, 'confirmed', 'confirmBy')
    if pending[1] == '0' then
      if tonumber(pending[2] or '0') >= nowMs() then return {'inflight', id} end
      withdraw(previousKey, previousKey .. ':history', backlogKey, id)
      previous = nil
    elseif hash == requestHash then
      return {'replayed', id}
    end
  end
end
local hold = redis.call('GET', holdKey)
if hold and string.sub(hold, 1, 64) == credentialsFingerprint then return {'held', string.sub(hold, 66)} end
local suppressed = redis.call('GET', suppressionKey)
if suppressed then return {'suppressed', suppressed} end
if recipientCountKey ~= '' and tonumber(redis.call('GET', recipientCountKey) or '0') >= tonumber(recipientMax) then
  return {'limited', ''}
end
if previous then return {'conflict', string.match(previous, ':(%w+)$')} end
if redis.call('EXISTS', sessionKey) == 1 then return {'exists', ''} end
local backlog = tonumber(redis.call('GET', backlogKey) or '0')
if backlog >= tonumber(backlogLimit) then return {'full', ''} end
redis.call('INCR', backlogKey)
if recipientCountKey ~= '' then
  if redis.call('INCR', recipientCountKey) == 1 then redis.call('EXPIRE', recipientCountKey, recipientWindowSeconds) end
end
writeSessionHash(sessionKey, fieldsJson, ttlSeconds)
redis.call('RPUSH', historyKey, historyEntryJson)
redis.call('EXPIRE', historyKey, ttlSeconds)
if idempotencyKey ~= '' then
  redis.call('SET', idempotencyKey, requestHash .. ':' .. sessionId, 'EX', idempotencyTtlSeconds)
end
return {'created', sessionId}
`;

/** CONFIRM_SESSION's keys and arguments, by name, in the order the script receives them. */
export const CONFIRM_SESSION_SIGNATURE = scriptSignature(
  ['sessionKey', 'historyKey', 'backlogKey', 'jobKey', 'statsKey'] as const,
  ['sessionId'] as const,
);

/**
 * Makes a session sendable, once the API has seen both the session and its delivery job stored.
 * In time only: a confirmation that reaches Redis after the deadline (a paused or stalled Redis
 * catching up, after the API already answered 1050) withdraws the session instead.
 * Keys and arguments: CONFIRM_SESSION_SIGNATURE (`jobKey`: BullMQ's hash of the delivery job).
 * Returns 'confirmed' | 'late' (withdrawn) | 'nojob' (withdrawn) | 'gone'
 */
export const CONFIRM_SESSION = NOW_MS + WITHDRAW + CONFIRM_SESSION_SIGNATURE.prologue + `
if redis.call('EXISTS', sessionKey) == 0 then return 'gone' end
local fields = redis.call('HMGET', sessionKey, 'confirmed', 'confirmBy')
if fields[1] ~= '0' then return 'confirmed' end
local verdict = nil
if nowMs() > tonumber(fields[2] or '0') then verdict = 'late'
elseif redis.call('EXISTS', jobKey) == 0 then verdict = 'nojob' end
if verdict then
  withdraw(sessionKey, historyKey, backlogKey, sessionId)
  redis.call('HINCRBY', statsKey, 'withdrawnUnconfirmed', 1)
  return verdict
end
redis.call('HSET', sessionKey, 'confirmed', '1')
redis.call('HDEL', sessionKey, 'confirmBy')
return 'confirmed'
`;

/** WITHDRAW_SESSION's keys and arguments, by name, in the order the script receives them. */
export const WITHDRAW_SESSION_SIGNATURE = scriptSignature(
  ['sessionKey', 'historyKey', 'backlogKey', 'statsKey'] as const,
  ['sessionId'] as const,
);

/**
 * The API's way back when it answered a fault without knowing whether its writes landed (a reply
 * lost to a timeout or a dropped connection): the session is withdrawn if no worker has taken it
 * yet. One already taken counts as `refusedButSent`, the case this design cannot rule out.
 * Keys and arguments: WITHDRAW_SESSION_SIGNATURE.
 * Returns 'withdrawn' | 'gone' | 'taken'
 */
export const WITHDRAW_SESSION = WITHDRAW + WITHDRAW_SESSION_SIGNATURE.prologue + `
if redis.call('EXISTS', sessionKey) == 0 then return 'gone' end
if redis.call('HGET', sessionKey, 'state') ~= 'queued' then
  redis.call('HINCRBY', statsKey, 'refusedButSent', 1)
  return 'taken'
end
withdraw(sessionKey, historyKey, backlogKey, sessionId)
redis.call('HINCRBY', statsKey, 'withdrawnAfterDoubt', 1)
return 'withdrawn'
`;

/** TRANSITION's keys and arguments, by name, in the order the script receives them. */
export const TRANSITION_SIGNATURE = scriptSignature(
  ['sessionKey', 'historyKey', 'chatQueueKey', 'backlogKey', 'providerMessageKey', 'statsKey', 'customerSessionKey'] as const,
  ['at', 'toState', 'allowedFromStates', 'toDelivery', 'streamMaxLen', 'streamFieldsJson', 'extraFieldsJson', 'indexTtlSeconds', 'sessionId', 'endReason', 'eventsMaxLen'] as const,
);

/**
 * Moves a session's state and/or delivery, each only along its allowed edges, and records each
 * applied change in the history. Placing in a chat queue happens here too, so a session is placed
 * exactly once: a retried job finds the state already `open` and adds nothing.
 * Two bookkeeping writes ride along, to save the worker round trips: leaving `queued` takes the
 * invite out of its tenant's backlog, and a provider message id is indexed for status webhooks.
 * A session still unconfirmed does not leave `queued` (CONFIRMATION_GUARD).
 * Keys and arguments: TRANSITION_SIGNATURE. `chatQueueKey`, `backlogKey`, `providerMessageKey` and
 * `customerSessionKey` are '' when unused; `toState`/`toDelivery` '' keep the current value;
 * `allowedFromStates` is a comma list; `streamFieldsJson` the chat-queue entry, `extraFieldsJson` fields
 * to set with the change ('{}'); `endReason` '' means the state itself.
 * An applied delivery change is a `message.status` event (message `<sessionId>.0`, the invite) and
 * an applied end (`terminated`, `failed`) a `session.ended` event with its reason (PUBLISH_EVENT).
 * Returns {stateApplied 0|1, deliveryApplied 0|1, state, delivery, tenant, channel, campaign} after the
 * change, {-1, -1} when the session does not exist, {-2, msToDeadline} while it is unconfirmed and
 * {-3, 0} when it was withdrawn unconfirmed.
 */
export const TRANSITION = NOW_MS + WITHDRAW + CONFIRMATION_GUARD + DELIVERY_MOVES + PUBLISH_EVENT + ACTIVITY + TRANSITION_SIGNATURE.prologue + `
if redis.call('EXISTS', sessionKey) == 0 then return {-1, -1} end
local current = redis.call('HMGET', sessionKey, 'state', 'delivery')
if current[1] == 'queued' and toState ~= '' then
  local guard = confirmationGuard(sessionKey, historyKey, backlogKey, sessionId, statsKey)
  if guard then
    if guard[1] == 'unconfirmed' then return {-2, tonumber(guard[2])} end
    return {-3, 0}
  end
end
local stateApplied, deliveryApplied = 0, 0
local extra = cjson.decode(extraFieldsJson)

if toState ~= '' then
  for allowed in string.gmatch(allowedFromStates, '[^,]+') do
    if allowed == current[1] then stateApplied = 1 end
  end
end

if deliveryMoves(current[2], toDelivery) then deliveryApplied = 1 end

if stateApplied == 1 then
  if current[1] == 'queued' and backlogKey ~= '' and tonumber(redis.call('GET', backlogKey) or '0') > 0 then
    redis.call('DECR', backlogKey)
  end
  redis.call('HSET', sessionKey, 'state', toState)
  redis.call('RPUSH', historyKey, cjson.encode({event = 'state:' .. toState, at = at}))
  if toState == 'open' and chatQueueKey ~= '' then
    local streamFields = cjson.decode(streamFieldsJson)
    local args = {chatQueueKey, 'MAXLEN', '~', streamMaxLen, '*'}
    for i = 1, #streamFields do args[#args + 1] = streamFields[i] end
    redis.call('XADD', unpack(args))
    -- The customer's replies now come to this session (the newest open one).
    if customerSessionKey ~= '' then redis.call('SET', customerSessionKey, sessionId, 'EX', indexTtlSeconds) end
  end
end
if deliveryApplied == 1 then
  redis.call('HSET', sessionKey, 'delivery', toDelivery)
  if toDelivery == 'sent' then redis.call('HSET', sessionKey, 'lastOutboundAt', at) end
  redis.call('RPUSH', historyKey, cjson.encode({event = 'delivery:' .. toDelivery, at = at}))
end
if stateApplied == 1 or deliveryApplied == 1 then
  for field, value in pairs(extra) do redis.call('HSET', sessionKey, field, value) end
end
-- The conversation's live feed: the invite's delivery changes (its message '.0') and the session's end.
local tenantEvents = string.match(sessionKey, '^(.*):session:%w+$') .. ':events:' .. (redis.call('HGET', sessionKey, 'tenant') or '')
if deliveryApplied == 1 then
  local data = {messageId = sessionId .. '.0', delivery = toDelivery}
  if extra.error and extra.error ~= '' then data.error = cjson.decode(extra.error) end
  publishEvent(tenantEvents, sessionKey, eventsMaxLen, 'message.status', sessionId, sessionId .. '.0', at, cjson.encode(data))
end
if (stateApplied == 1 and toState == 'open') or (deliveryApplied == 1 and toDelivery == 'sent' and redis.call('HGET', sessionKey, 'state') == 'open') then
  touchActivity(sessionKey, sessionId)
end
if stateApplied == 1 and (toState == 'terminated' or toState == 'failed') then
  forgetActivity(sessionKey, sessionId)
  local reason = endReason
  if reason == '' then reason = toState end
  publishEvent(tenantEvents, sessionKey, eventsMaxLen, 'session.ended', sessionId, '', at, cjson.encode({reason = reason, state = toState}))
end
if providerMessageKey ~= '' then redis.call('SET', providerMessageKey, sessionId, 'EX', indexTtlSeconds) end
local after = redis.call('HMGET', sessionKey, 'state', 'delivery', 'tenant', 'channel', 'campaign')
return {stateApplied, deliveryApplied, after[1], after[2], after[3], after[4], after[5]}
`;

/** CLAIM_FOR_SEND's keys and arguments, by name, in the order the script receives them. */
export const CLAIM_FOR_SEND_SIGNATURE = scriptSignature(
  ['sessionKey', 'historyKey', 'backlogKey', 'holdKey', 'pacingKey', 'statsKey'] as const,
  ['at', 'attempt', 'credentialsFingerprint', 'intervalMs', 'maxSleepMs', 'sessionId'] as const,
);

/**
 * A worker claims a session for one send attempt, in one command: the session must still be
 * `queued` or `sending`; its channel must not be stopped under the current credentials; and its
 * business number must have a send slot (GCRA: each number keeps the time of its next free slot and
 * moves it on by 1/rate per send; a wait longer than the sleep budget takes no slot, so the job goes
 * back to the queue and the worker serves other numbers). Only then does the session move to
 * `sending` (leaving `queued` frees its backlog place) with the attempt number recorded, and
 * marked in flight until the worker records what the provider said. A session not yet confirmed
 * is not claimed (CONFIRMATION_GUARD).
 * Keys and arguments: CLAIM_FOR_SEND_SIGNATURE.
 * Returns {'gone'} | {'skipped', state} | {'held', reason} | {'wait', ms} | {'unconfirmed', ms}
 *       | {'withdrawn'} | {'claimed', waitMs, unknownOutcome '0'|'1', field, value, ...}
 */
export const CLAIM_FOR_SEND = NOW_MS + WITHDRAW + CONFIRMATION_GUARD + SEND_SLOT + CLAIM_FOR_SEND_SIGNATURE.prologue + `
if redis.call('EXISTS', sessionKey) == 0 then return {'gone'} end
local state = redis.call('HGET', sessionKey, 'state')
if state ~= 'queued' and state ~= 'sending' then return {'skipped', state} end
local guard = confirmationGuard(sessionKey, historyKey, backlogKey, sessionId, statsKey)
if guard then return guard end

local hold = redis.call('GET', holdKey)
if hold then
  if string.sub(hold, 1, 64) == credentialsFingerprint then return {'held', string.sub(hold, 66)} end
  redis.call('DEL', holdKey)
end

local wait, longer = takeSendSlot(pacingKey, tonumber(intervalMs), tonumber(maxSleepMs))
if not wait then return {'wait', tostring(longer)} end

if state == 'queued' and tonumber(redis.call('GET', backlogKey) or '0') > 0 then redis.call('DECR', backlogKey) end
-- An attempt still marked in flight never reported back (its worker died mid-send, or lost Redis):
-- the provider may have the message already, so this send may be a duplicate. Counted, and sent.
local unknownOutcome = '0'
local inFlight = redis.call('HGET', sessionKey, 'inFlight')
if inFlight and inFlight ~= '' then
  unknownOutcome = '1'
  redis.call('HINCRBY', statsKey, 'sendsAfterUnknownOutcome', 1)
end
redis.call('HSET', sessionKey, 'state', 'sending', 'attempts', attempt, 'inFlight', attempt)
redis.call('RPUSH', historyKey, cjson.encode({event = 'state:sending', at = at}))
local result = {'claimed', tostring(wait), unknownOutcome}
local fields = redis.call('HGETALL', sessionKey)
for i = 1, #fields do result[#result + 1] = fields[i] end
return result
`;
