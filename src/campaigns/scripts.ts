/**
 * Lua scripts of the campaign store: each keeps a row's state and the campaign's counts in step,
 * so `GET /campaigns/:id` never sees a row counted twice or not at all.
 */

/**
 * APPEND_ROWS: KEYS queue, rows, recipients, counts, duplicates; ARGV[1] JSON `[{row, clientId, data}]`.
 * A recipient already in the campaign makes the row a duplicate; others wait in the queue.
 */
export const APPEND_ROWS = `
local rows = cjson.decode(ARGV[1])
local duplicates = 0
for _, r in ipairs(rows) do
  local fresh = r.clientId == '' or redis.call('SADD', KEYS[3], r.clientId) == 1
  if fresh then
    redis.call('RPUSH', KEYS[1], cjson.encode({row = r.row, data = r.data}))
    redis.call('HSET', KEYS[2], r.row, cjson.encode({row = r.row, clientId = r.clientId, state = 'waiting'}))
    redis.call('HINCRBY', KEYS[4], 'waiting', 1)
  else
    redis.call('HSET', KEYS[2], r.row, cjson.encode({row = r.row, clientId = r.clientId, state = 'duplicate'}))
    redis.call('HINCRBY', KEYS[4], 'duplicate', 1)
    redis.call('ZADD', KEYS[5], r.row, r.row)
    duplicates = duplicates + 1
  end
end
return duplicates
`;

/**
 * Lua shared by the scripts that settle a row: once no row is `waiting` or `pending`, a running or
 * paused campaign is `done` (docs/protocol.md#campaigns), in the same step as the row's change, so the last
 * row's report and the state can never disagree. KEYS[counts], campaign and running set are given
 * by position; a cancelled campaign stays cancelled.
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

/**
 * FINISH_IF_SETTLED: KEYS counts, campaign, running campaigns; ARGV campaign id. For a campaign
 * with no row to settle (an empty file): `done` once nothing is left to send.
 */
export const FINISH_IF_SETTLED = `${FINISH_WHEN_SETTLED}
return finishWhenSettled(KEYS[1], KEYS[2], KEYS[3], ARGV[1])
`;

/**
 * RECORD_ROW: KEYS rows, counts, inState (the zset of the new state, or ''), campaign, running
 * campaigns; ARGV row, JSON of the fields to set (state included), campaign id. Only a waiting row moves: running a batch twice (after a crash)
 * counts nothing twice. A row whose send was reported before it was marked `pending` (a fast
 * sandbox or provider) keeps its later state and only gains the session id.
 */
export const RECORD_ROW = `${FINISH_WHEN_SETTLED}
local current = redis.call('HGET', KEYS[1], ARGV[1])
if not current then return 0 end
local row = cjson.decode(current)
local update = cjson.decode(ARGV[2])
if row.state ~= 'waiting' then
  if update.state == 'pending' and row.sessionId == nil then
    row.sessionId = update.sessionId
    redis.call('HSET', KEYS[1], ARGV[1], cjson.encode(row))
  end
  return 0
end
for k, v in pairs(update) do row[k] = v end
redis.call('HSET', KEYS[1], ARGV[1], cjson.encode(row))
redis.call('HINCRBY', KEYS[2], 'waiting', -1)
redis.call('HINCRBY', KEYS[2], row.state, 1)
if KEYS[3] ~= '' then redis.call('ZADD', KEYS[3], ARGV[1], ARGV[1]) end
if row.state ~= 'pending' then finishWhenSettled(KEYS[2], KEYS[4], KEYS[5], ARGV[3]) end
return 1
`;

/**
 * ROW_DELIVERY: KEYS rows, counts, failed, campaign, running campaigns; ARGV row, delivery, error
 * message, campaign id. Mirrors a session's
 * delivery into its row, forward only (status reports can arrive out of order). A `waiting` row
 * moves too: the send can be reported before the step that created the session marks it `pending`.
 */
export const ROW_DELIVERY = `${FINISH_WHEN_SETTLED}
local rank = { waiting = 0, pending = 1, sent = 2, delivered = 3, read = 4, failed = 5 }
local current = redis.call('HGET', KEYS[1], ARGV[1])
if not current then return 0 end
local row = cjson.decode(current)
local from = rank[row.state]
local to = rank[ARGV[2]]
if not from or not to or to <= from then return 0 end
redis.call('HINCRBY', KEYS[2], row.state, -1)
redis.call('HINCRBY', KEYS[2], ARGV[2], 1)
row.state = ARGV[2]
if ARGV[2] == 'failed' then
  row.error = ARGV[3]
  redis.call('ZADD', KEYS[3], ARGV[1], ARGV[1])
end
redis.call('HSET', KEYS[1], ARGV[1], cjson.encode(row))
if from <= rank.pending then finishWhenSettled(KEYS[2], KEYS[4], KEYS[5], ARGV[4]) end
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
