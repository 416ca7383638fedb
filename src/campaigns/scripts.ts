import { scriptSignature } from '../redis/script-signature.js';

/**
 * Lua scripts of the campaign store: each keeps a row's state and the campaign's counts in step,
 * so `GET /campaigns/:id` never sees a row counted twice or not at all.
 */

/** APPEND_ROWS's keys and arguments, by name, in the order the script receives them. */
export const APPEND_ROWS_SIGNATURE = scriptSignature(
  ['queueKey', 'rowsKey', 'recipientsKey', 'countsKey', 'duplicatesKey'] as const,
  ['rowsJson'] as const,
);

/**
 * APPEND_ROWS (APPEND_ROWS_SIGNATURE; `rowsJson` is `[{row, clientId, data}]`).
 * A recipient already in the campaign makes the row a duplicate; others wait in the queue.
 */
export const APPEND_ROWS = APPEND_ROWS_SIGNATURE.prologue + `
local rows = cjson.decode(rowsJson)
local duplicates = 0
for _, r in ipairs(rows) do
  local fresh = r.clientId == '' or redis.call('SADD', recipientsKey, r.clientId) == 1
  if fresh then
    redis.call('RPUSH', queueKey, cjson.encode({row = r.row, data = r.data}))
    redis.call('HSET', rowsKey, r.row, cjson.encode({row = r.row, clientId = r.clientId, state = 'waiting'}))
    redis.call('HINCRBY', countsKey, 'waiting', 1)
  else
    redis.call('HSET', rowsKey, r.row, cjson.encode({row = r.row, clientId = r.clientId, state = 'duplicate'}))
    redis.call('HINCRBY', countsKey, 'duplicate', 1)
    redis.call('ZADD', duplicatesKey, r.row, r.row)
    duplicates = duplicates + 1
  end
end
return duplicates
`;

/**
 * Lua shared by the scripts that settle a row: once no row is `waiting` or `pending`, a running or
 * paused campaign is `done` (docs/protocol.md#campaigns), in the same step as the row's change, so the last
 * row's report and the state can never disagree. A cancelled campaign stays cancelled.
 */
const FINISH_WHEN_SETTLED = `
local function finishWhenSettled(countsKey, campaignKey, runningKey, campaignId)
  local open = redis.call('HMGET', countsKey, 'waiting', 'pending')
  if (tonumber(open[1]) or 0) > 0 or (tonumber(open[2]) or 0) > 0 then return 0 end
  local state = redis.call('HGET', campaignKey, 'state')
  if state ~= 'running' and state ~= 'paused' then return 0 end
  redis.call('HSET', campaignKey, 'state', 'done')
  redis.call('SREM', runningKey, campaignId)
  return 1
end
`;

/** FINISH_IF_SETTLED's keys and arguments, by name, in the order the script receives them. */
export const FINISH_IF_SETTLED_SIGNATURE = scriptSignature(
  ['countsKey', 'campaignKey', 'runningKey'] as const,
  ['campaignId'] as const,
);

/**
 * FINISH_IF_SETTLED (FINISH_IF_SETTLED_SIGNATURE). For a campaign
 * with no row to settle (an empty file): `done` once nothing is left to send.
 */
export const FINISH_IF_SETTLED = FINISH_WHEN_SETTLED + FINISH_IF_SETTLED_SIGNATURE.prologue + `
return finishWhenSettled(countsKey, campaignKey, runningKey, campaignId)
`;

/** RECORD_ROW's keys and arguments, by name, in the order the script receives them. */
export const RECORD_ROW_SIGNATURE = scriptSignature(
  ['rowsKey', 'countsKey', 'inStateKey', 'campaignKey', 'runningKey'] as const,
  ['rowNumber', 'fieldsJson', 'campaignId'] as const,
);

/**
 * RECORD_ROW (RECORD_ROW_SIGNATURE; `inStateKey` is the zset of the new state, or ''; `fieldsJson` the
 * fields to set, state included). Only a waiting row moves: running a batch twice (after a crash)
 * counts nothing twice. A row whose send was reported before it was marked `pending` (a fast
 * sandbox or provider) keeps its later state and only gains the session id.
 */
export const RECORD_ROW = FINISH_WHEN_SETTLED + RECORD_ROW_SIGNATURE.prologue + `
local current = redis.call('HGET', rowsKey, rowNumber)
if not current then return 0 end
local row = cjson.decode(current)
local update = cjson.decode(fieldsJson)
if row.state ~= 'waiting' then
  if update.state == 'pending' and row.sessionId == nil then
    row.sessionId = update.sessionId
    redis.call('HSET', rowsKey, rowNumber, cjson.encode(row))
  end
  return 0
end
for k, v in pairs(update) do row[k] = v end
redis.call('HSET', rowsKey, rowNumber, cjson.encode(row))
redis.call('HINCRBY', countsKey, 'waiting', -1)
redis.call('HINCRBY', countsKey, row.state, 1)
if inStateKey ~= '' then redis.call('ZADD', inStateKey, rowNumber, rowNumber) end
if row.state ~= 'pending' then finishWhenSettled(countsKey, campaignKey, runningKey, campaignId) end
return 1
`;

/** ROW_DELIVERY's keys and arguments, by name, in the order the script receives them. */
export const ROW_DELIVERY_SIGNATURE = scriptSignature(
  ['rowsKey', 'countsKey', 'failedKey', 'campaignKey', 'runningKey'] as const,
  ['rowNumber', 'delivery', 'errorMessage', 'campaignId'] as const,
);

/**
 * ROW_DELIVERY (ROW_DELIVERY_SIGNATURE). Mirrors a session's
 * delivery into its row, forward only (status reports can arrive out of order). A `waiting` row
 * moves too: the send can be reported before the step that created the session marks it `pending`.
 */
export const ROW_DELIVERY = FINISH_WHEN_SETTLED + ROW_DELIVERY_SIGNATURE.prologue + `
local rank = { waiting = 0, pending = 1, sent = 2, delivered = 3, read = 4, failed = 5 }
local current = redis.call('HGET', rowsKey, rowNumber)
if not current then return 0 end
local row = cjson.decode(current)
local from = rank[row.state]
local to = rank[delivery]
if not from or not to or to <= from then return 0 end
redis.call('HINCRBY', countsKey, row.state, -1)
redis.call('HINCRBY', countsKey, delivery, 1)
row.state = delivery
if delivery == 'failed' then
  row.error = errorMessage
  redis.call('ZADD', failedKey, rowNumber, rowNumber)
end
redis.call('HSET', rowsKey, rowNumber, cjson.encode(row))
if from <= rank.pending then finishWhenSettled(countsKey, campaignKey, runningKey, campaignId) end
return 1
`;

/**
 * CHANGE_STATE: KEYS campaign, running campaigns; ARGV[1] the new state, ARGV[2] the campaign id,
 * ARGV[3..] the states it may come from. One step, so a pause and a cancel (or a step finishing the
 * campaign) racing each other cannot both win. A campaign moved to `running` joins the set the
 * sweeper looks at.
 */
export const CHANGE_STATE = `
local state = redis.call('HGET', KEYS[1], 'state')
for i = 3, #ARGV do
  if ARGV[i] == state then
    redis.call('HSET', KEYS[1], 'state', ARGV[1])
    if ARGV[1] == 'running' then redis.call('SADD', KEYS[2], ARGV[2]) end
    return 1
  end
end
return 0
`;

/**
 * UNLOCK: KEYS lock; ARGV owner. Frees the campaign's lock only while this owner holds it: a step
 * that outlived its lock must not free the lock another process has taken since.
 */
export const UNLOCK = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;
