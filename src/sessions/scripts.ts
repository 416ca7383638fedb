/**
 * Lua scripts that keep each session change atomic: a reader never sees a session half written,
 * two writers (worker, status reports, DELETE) cannot interleave, and a rejected transition
 * changes nothing.
 */

/**
 * Creates a session, or answers the session an idempotency key already points at. The channel
 * policy (suppressed recipient, per-recipient cap) is checked here too, so a replayed invite is
 * recognised before it could count against the cap, and two concurrent invites cannot both slip
 * under it.
 * KEYS: session hash, history list, tenant backlog counter, idempotency key (or ''),
 *       recipient counter (or '' for no cap), recipient suppression flag, channel hold
 * ARGV: ttlSeconds, backlogLimit, historyEntryJson, requestHash, idemTtlSeconds, sessionId,
 *       recipientMax, recipientWindowSeconds, fieldsJson (one JSON object: fewer arguments to encode),
 *       credentialsFingerprint (a hold set under other credentials no longer applies)
 * Returns {'created', id} | {'replayed', id} | {'conflict', id} | {'held', reason} | {'suppressed', ''}
 *       | {'limited', ''} | {'full', ''} | {'exists', ''}
 */
export const CREATE_SESSION = `
local sessionId = ARGV[6]
local previous = nil
if KEYS[4] ~= '' then
  previous = redis.call('GET', KEYS[4])
  if previous then
    local hash, id = string.match(previous, '^(%x+):(%w+)$')
    if hash == ARGV[4] then return {'replayed', id} end
  end
end
local hold = redis.call('GET', KEYS[7])
if hold and string.sub(hold, 1, 64) == ARGV[10] then return {'held', string.sub(hold, 66)} end
if redis.call('EXISTS', KEYS[6]) == 1 then return {'suppressed', ''} end
if KEYS[5] ~= '' and tonumber(redis.call('GET', KEYS[5]) or '0') >= tonumber(ARGV[7]) then
  return {'limited', ''}
end
if previous then return {'conflict', string.match(previous, ':(%w+)$')} end
if redis.call('EXISTS', KEYS[1]) == 1 then return {'exists', ''} end
local backlog = tonumber(redis.call('GET', KEYS[3]) or '0')
if backlog >= tonumber(ARGV[2]) then return {'full', ''} end
redis.call('INCR', KEYS[3])
if KEYS[5] ~= '' then
  if redis.call('INCR', KEYS[5]) == 1 then redis.call('EXPIRE', KEYS[5], ARGV[8]) end
end
local fields = {}
for field, value in pairs(cjson.decode(ARGV[9])) do
  fields[#fields + 1] = field
  fields[#fields + 1] = value
end
redis.call('HSET', KEYS[1], unpack(fields))
redis.call('EXPIRE', KEYS[1], ARGV[1])
redis.call('RPUSH', KEYS[2], ARGV[3])
redis.call('EXPIRE', KEYS[2], ARGV[1])
if KEYS[4] ~= '' then
  redis.call('SET', KEYS[4], ARGV[4] .. ':' .. sessionId, 'EX', ARGV[5])
end
return {'created', sessionId}
`;

/**
 * Undoes CREATE_SESSION when the delivery job could not be added, so no half-created session stays.
 * KEYS: session hash, history list, tenant backlog counter, idempotency key (or '')
 */
export const REMOVE_UNQUEUED_SESSION = `
if redis.call('DEL', KEYS[1]) == 1 then
  redis.call('DEL', KEYS[2])
  if tonumber(redis.call('GET', KEYS[3]) or '0') > 0 then redis.call('DECR', KEYS[3]) end
  if KEYS[4] ~= '' then redis.call('DEL', KEYS[4]) end
end
return 1
`;

/**
 * Moves a session's state and/or delivery, each only along its allowed edges, and records each
 * applied change in the history. Placing in a chat queue happens here too, so a session is placed
 * exactly once: a retried job finds the state already `open` and adds nothing.
 * Two bookkeeping writes ride along, to save the worker round trips: leaving `queued` takes the
 * invite out of its tenant's backlog, and a provider message id is indexed for status webhooks.
 * KEYS: session hash, history list, chat-queue stream (or ''), tenant backlog counter (or ''),
 *       provider-message index key (or '')
 * ARGV: at, toState ('' = keep), allowedFromStates (comma list), toDelivery ('' = keep),
 *       streamMaxLen, streamFieldsJson ('' = none), extraFieldsJson ('{}'), indexTtlSeconds
 * Returns {stateApplied 0|1, deliveryApplied 0|1, state, delivery, tenant, channel, campaign} after the
 * change, or {-1, -1} when the session does not exist.
 */
export const TRANSITION = `
if redis.call('EXISTS', KEYS[1]) == 0 then return {-1, -1} end
local at = ARGV[1]
local current = redis.call('HMGET', KEYS[1], 'state', 'delivery')
local stateApplied, deliveryApplied = 0, 0
local extra = cjson.decode(ARGV[7])

if ARGV[2] ~= '' then
  for allowed in string.gmatch(ARGV[3], '[^,]+') do
    if allowed == current[1] then stateApplied = 1 end
  end
end

local rank = {none = -1, pending = 0, sent = 1, delivered = 2, read = 3}
if ARGV[4] ~= '' and current[2] ~= 'none' and current[2] ~= 'failed' then
  if ARGV[4] == 'failed' then
    if current[2] == 'pending' or current[2] == 'sent' then deliveryApplied = 1 end
  elseif rank[ARGV[4]] and rank[ARGV[4]] > rank[current[2]] then
    deliveryApplied = 1
  end
end

if stateApplied == 1 then
  if current[1] == 'queued' and KEYS[4] ~= '' and tonumber(redis.call('GET', KEYS[4]) or '0') > 0 then
    redis.call('DECR', KEYS[4])
  end
  redis.call('HSET', KEYS[1], 'state', ARGV[2])
  redis.call('RPUSH', KEYS[2], cjson.encode({event = 'state:' .. ARGV[2], at = at}))
  if ARGV[2] == 'open' and KEYS[3] ~= '' then
    local streamFields = cjson.decode(ARGV[6])
    local args = {KEYS[3], 'MAXLEN', '~', ARGV[5], '*'}
    for i = 1, #streamFields do args[#args + 1] = streamFields[i] end
    redis.call('XADD', unpack(args))
  end
end
if deliveryApplied == 1 then
  redis.call('HSET', KEYS[1], 'delivery', ARGV[4])
  redis.call('RPUSH', KEYS[2], cjson.encode({event = 'delivery:' .. ARGV[4], at = at}))
end
if stateApplied == 1 or deliveryApplied == 1 then
  for field, value in pairs(extra) do redis.call('HSET', KEYS[1], field, value) end
end
if KEYS[5] ~= '' then
  local sessionId = string.match(KEYS[1], ':session:(%w+)$')
  redis.call('SET', KEYS[5], sessionId, 'EX', ARGV[8])
end
local after = redis.call('HMGET', KEYS[1], 'state', 'delivery', 'tenant', 'channel', 'campaign')
return {stateApplied, deliveryApplied, after[1], after[2], after[3], after[4], after[5]}
`;

/**
 * A worker claims a session for one send attempt, in one command: the session must still be
 * `queued` or `sending`; its channel must not be stopped under the current credentials; and its
 * business number must have a send slot (GCRA: each number keeps the time of its next free slot and
 * moves it on by 1/rate per send; a wait longer than the sleep budget takes no slot, so the job goes
 * back to the queue and the worker serves other numbers). Only then does the session move to
 * `sending` (leaving `queued` frees its backlog place) with the attempt number recorded.
 * KEYS: session hash, history list, tenant backlog counter, channel hold, pacing key
 * ARGV: at, attempt, credentialsFingerprint, intervalMs, maxSleepMs
 * Returns {'gone'} | {'skipped', state} | {'held', reason} | {'wait', ms}
 *       | {'claimed', waitMs, field, value, ...}
 */
export const CLAIM_FOR_SEND = `
if redis.call('EXISTS', KEYS[1]) == 0 then return {'gone'} end
local state = redis.call('HGET', KEYS[1], 'state')
if state ~= 'queued' and state ~= 'sending' then return {'skipped', state} end

local hold = redis.call('GET', KEYS[4])
if hold then
  if string.sub(hold, 1, 64) == ARGV[3] then return {'held', string.sub(hold, 66)} end
  redis.call('DEL', KEYS[4])
end

local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local interval = tonumber(ARGV[4])
local nextSlot = tonumber(redis.call('GET', KEYS[5]) or '0')
if nextSlot < now then nextSlot = now end
local wait = math.ceil(nextSlot - now)
if wait > tonumber(ARGV[5]) then return {'wait', tostring(wait)} end
redis.call('SET', KEYS[5], tostring(nextSlot + interval), 'PX', math.ceil(wait + interval) + 1000)

if state == 'queued' and tonumber(redis.call('GET', KEYS[3]) or '0') > 0 then redis.call('DECR', KEYS[3]) end
redis.call('HSET', KEYS[1], 'state', 'sending', 'attempts', ARGV[2])
redis.call('RPUSH', KEYS[2], cjson.encode({event = 'state:sending', at = ARGV[1]}))
local result = {'claimed', tostring(wait)}
local fields = redis.call('HGETALL', KEYS[1])
for i = 1, #fields do result[#result + 1] = fields[i] end
return result
`;
