"""The Lua scripts behind :class:`mockserver.store.redis.RedisStore`.

Redis runs a script as one command: nothing else runs in between, so every
read-modify-write below is atomic across all the processes and hosts that share
the Redis, just as one SQLite statement is across the workers sharing a file.

Conventions: numbers arrive as strings (Python's ``repr`` of a float, which
``tonumber`` reads back exactly) and are compared with ``tonumber``; strings are
stored as given, so no float is ever re-printed by Lua. ``false`` comes back to
Python as ``None``. Scripts that derive key names from an id take the key
prefix in ``ARGV`` (a single Redis, not a Cluster, is what the mock supports).
"""

from __future__ import annotations

#: Fields of a job hash that make up :class:`mockserver.models.Job` (no image or
#: result bytes), in the order the scripts return them.
JOB_FIELDS = ("op", "key", "created", "expires", "order", "plan", "polls", "seq", "result_meta")
_JOB_FIELDS_LUA = ", ".join(f"'{name}'" for name in JOB_FIELDS)

#: KEYS: job hash, jobs by creation, jobs by expiry, job sequence, image key, bytes total, bytes by job.
#: ARGV: id, operation, key fingerprint, created_at, expires_at, order, plan, polls, image, expiry in ms,
#: the most bytes jobs may keep ('' for no bound).
#: The sequence number breaks ties between jobs created in the same instant, so
#: ``list_jobs`` keeps insertion order as SQLite's rowid does. The image is a key
#: of its own: the hash a poll updates carries no blob. Past the bound nothing is
#: written and {-1, bytes kept} comes back.
ADD_JOB = """
local size = string.len(ARGV[9])
local used = tonumber(redis.call('GET', KEYS[6]) or '0')
if ARGV[11] ~= '' and used + size > tonumber(ARGV[11]) then return {-1, used} end
local seq = redis.call('INCR', KEYS[4])
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'op', ARGV[2], 'key', ARGV[3], 'created', ARGV[4], 'expires', ARGV[5],
  'order', ARGV[6], 'plan', ARGV[7], 'polls', ARGV[8], 'seq', seq)
redis.call('PEXPIREAT', KEYS[1], ARGV[10])
redis.call('SET', KEYS[5], ARGV[9])
redis.call('PEXPIREAT', KEYS[5], ARGV[10])
redis.call('ZADD', KEYS[2], ARGV[4], ARGV[1])
redis.call('ZADD', KEYS[3], ARGV[5], ARGV[1])
redis.call('INCRBY', KEYS[6], size - tonumber(redis.call('HGET', KEYS[7], ARGV[1]) or '0'))
redis.call('HSET', KEYS[7], ARGV[1], size)
return {seq, used + size}
"""

#: KEYS: job hash. ARGV: key fingerprint, now.
#: Counts only for the owner and only while the job is live: a poll of another
#: key's or an expired job changes nothing.
POLL_JOB = f"""
local owner = redis.call('HGET', KEYS[1], 'key')
if not owner or owner ~= ARGV[1] then return false end
if tonumber(redis.call('HGET', KEYS[1], 'expires')) <= tonumber(ARGV[2]) then return false end
redis.call('HINCRBY', KEYS[1], 'polls', 1)
return redis.call('HMGET', KEYS[1], {_JOB_FIELDS_LUA})
"""

#: KEYS: job hash. ARGV: plan, now.
SET_JOB_PLAN = f"""
local expires = redis.call('HGET', KEYS[1], 'expires')
if not expires or tonumber(expires) <= tonumber(ARGV[2]) then return false end
redis.call('HSET', KEYS[1], 'plan', ARGV[1])
return redis.call('HMGET', KEYS[1], {_JOB_FIELDS_LUA})
"""

#: KEYS: job hash, result key, bytes total, bytes by job.
#: ARGV: result metadata, result bytes, job id, the most bytes jobs may keep ('' for no bound).
#: Never creates the hash: a result saved after the job expired must not
#: resurrect it without its TTL; the result key expires with the hash. A result
#: past the bound is not kept (the next poll renders it again).
SAVE_RESULT = """
local ttl = redis.call('PTTL', KEYS[1])
if ttl == -2 then return 0 end
if redis.call('HEXISTS', KEYS[1], 'result_meta') == 1 then return 1 end
local size = string.len(ARGV[2])
if ARGV[4] ~= '' and tonumber(redis.call('GET', KEYS[3]) or '0') + size > tonumber(ARGV[4]) then return 0 end
if ttl > 0 then
  redis.call('SET', KEYS[2], ARGV[2], 'PX', ttl)
else
  redis.call('SET', KEYS[2], ARGV[2])
end
redis.call('HSET', KEYS[1], 'result_meta', ARGV[1])
redis.call('INCRBY', KEYS[3], size)
redis.call('HINCRBY', KEYS[4], ARGV[3], size)
return 1
"""

#: KEYS: jobs by creation, jobs by expiry, counters by expiry, bytes total, bytes by job.
#: ARGV: now, job key prefix, counter key prefix, image key prefix, result key prefix.
#: Drops what expired by the caller's clock (which tests may move), whether or
#: not Redis's own TTL already removed it, and takes its bytes off the total;
#: answers how many jobs were dropped.
PURGE_EXPIRED = """
local ids = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', ARGV[1])
local freed = 0
for _, id in ipairs(ids) do
  redis.call('UNLINK', ARGV[2] .. id, ARGV[4] .. id, ARGV[5] .. id)
  redis.call('ZREM', KEYS[1], id)
  freed = freed + tonumber(redis.call('HGET', KEYS[5], id) or '0')
  redis.call('HDEL', KEYS[5], id)
end
if freed > 0 then redis.call('DECRBY', KEYS[4], freed) end
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', ARGV[1])
for _, name in ipairs(redis.call('ZRANGEBYSCORE', KEYS[3], '-inf', ARGV[1])) do
  redis.call('UNLINK', ARGV[3] .. name)
end
redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', ARGV[1])
return #ids
"""

#: KEYS: jobs by creation, jobs by expiry. ARGV: now, job key prefix.
#: Returns id followed by the job fields, for every live job; ids whose hash
#: Redis already expired are pruned from both indexes on the way.
LIST_JOBS = f"""
local out = {{}}
for _, id in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  local row = redis.call('HMGET', ARGV[2] .. id, {_JOB_FIELDS_LUA})
  if not row[1] then
    redis.call('ZREM', KEYS[1], id)
    redis.call('ZREM', KEYS[2], id)
  elseif tonumber(row[4]) > tonumber(ARGV[1]) then
    table.insert(out, id)
    for _, value in ipairs(row) do table.insert(out, value) end
  end
end
return out
"""

#: KEYS: fault queue (ids scored by sequence), fault sequence, fault hash.
#: ARGV: id, fault JSON, scope (kept as 'kind'), operation, status ('' for none), times ('' for
#: unlimited), fired, the fingerprint of the key it is staged for ('' for any key). ``kind``,
#: ``operation``, ``status`` and ``key`` are kept apart from the JSON so TAKE_FAULT can test
#: them without a JSON round trip in Lua.
ADD_FAULT = """
local seq = redis.call('INCR', KEYS[2])
redis.call('DEL', KEYS[3])
redis.call('HSET', KEYS[3], 'json', ARGV[2], 'kind', ARGV[3], 'operation', ARGV[4], 'status', ARGV[5],
  'times', ARGV[6], 'fired', ARGV[7], 'key', ARGV[8])
redis.call('ZADD', KEYS[1], seq, ARGV[1])
return seq
"""

#: KEYS: fault queue. ARGV: fault key prefix, operation, scope, the "any operation"
#: wildcard, the caller's key fingerprint, then every status the operation can answer.
#: ``mockserver.models.fits``, ``first_for_key`` and ``after_firing``, in Lua: of
#: the faults of this scope, for this operation (or the wildcard), whose status (if
#: any) the operation can answer, the oldest staged for the caller's key, else the
#: oldest staged for any key (a hash without ``key``, kept by an older version, is
#: for any key), loses one use (deleted at its last) and comes back as it was when
#: it fired: {json, times, fired}.
TAKE_FAULT = """
local statuses = {}
for i = 6, #ARGV do statuses[ARGV[i]] = true end
local chosen = nil
for _, id in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  local key = ARGV[1] .. id
  local f = redis.call('HMGET', key, 'kind', 'operation', 'status', 'times', 'fired', 'json', 'key')
  if not f[1] then
    redis.call('ZREM', KEYS[1], id)
  elseif f[1] == ARGV[3] and (f[2] == ARGV[4] or f[2] == ARGV[2]) and (f[3] == '' or statuses[f[3]]) then
    local owner = f[7] or ''
    if owner ~= '' and owner == ARGV[5] then
      chosen = {id, f}
      break
    elseif owner == '' and not chosen then
      chosen = {id, f}
    end
  end
end
if not chosen then return false end
local id, f = chosen[1], chosen[2]
local key = ARGV[1] .. id
if f[4] ~= '' and tonumber(f[4]) <= 1 then
  redis.call('DEL', key)
  redis.call('ZREM', KEYS[1], id)
else
  if f[4] ~= '' then redis.call('HINCRBY', key, 'times', -1) end
  redis.call('HINCRBY', key, 'fired', 1)
end
return {f[6], f[4], f[5]}
"""

#: KEYS: fault queue. ARGV: fault key prefix. Flat {json, times, fired} triples, oldest first.
LIST_FAULTS = """
local out = {}
for _, id in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  local f = redis.call('HMGET', ARGV[1] .. id, 'json', 'times', 'fired')
  if f[1] then
    table.insert(out, f[1])
    table.insert(out, f[2])
    table.insert(out, f[3])
  end
end
return out
"""

#: KEYS: fault queue. ARGV: fault key prefix, the id to delete ('' for every one), the key
#: fingerprint whose faults to delete ('' for any key's). Answers how many were deleted.
DELETE_FAULTS = """
local ids = ARGV[2] ~= '' and {ARGV[2]} or redis.call('ZRANGE', KEYS[1], 0, -1)
local deleted = 0
for _, id in ipairs(ids) do
  local hash = ARGV[1] .. id
  if ARGV[3] == '' or redis.call('HGET', hash, 'key') == ARGV[3] then
    deleted = deleted + redis.call('ZREM', KEYS[1], id)
    redis.call('DEL', hash)
  end
end
return deleted
"""

#: KEYS: counter hash, counters by expiry. ARGV: amount, expires_at, now, expiry in ms, counter name.
#: A counter past its expiry (by the caller's clock) starts again at 0 with the
#: new expiry, as one SQLite upsert does; a live one is a plain HINCRBY, and one
#: set without expiry keeps none.
INCREMENT = """
if redis.call('EXISTS', KEYS[1]) == 1 then
  local expires = redis.call('HGET', KEYS[1], 'e')
  if not expires or tonumber(expires) > tonumber(ARGV[3]) then
    return redis.call('HINCRBY', KEYS[1], 'v', ARGV[1])
  end
end
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'v', ARGV[1], 'e', ARGV[2])
redis.call('PEXPIREAT', KEYS[1], ARGV[4])
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[5])
return tonumber(ARGV[1])
"""

#: KEYS: counter hash. ARGV: amount, initial balance, -amount.
#: The balance is created at ``initial`` on first use (and stays created even
#: when it is short, as SQLite's insert does); it is debited only if it covers
#: the amount, otherwise nothing changes and ``false`` comes back.
DEBIT = """
local value = redis.call('HGET', KEYS[1], 'v')
if not value then
  redis.call('HSET', KEYS[1], 'v', ARGV[2])
  value = ARGV[2]
end
if tonumber(value) < tonumber(ARGV[1]) then return false end
return redis.call('HINCRBY', KEYS[1], 'v', ARGV[3])
"""

#: KEYS: the thumbnail's key, the list of thumbnail keys (oldest first).
#: ARGV: thumbnail bytes, how many thumbnails to keep.
#: The list orders the eviction: past ``keep``, the oldest keys are dropped with their names.
#: A thumbnail saved again becomes the newest (LREM walks at most ``keep`` names).
SAVE_THUMBNAIL = """
redis.call('LREM', KEYS[2], 0, KEYS[1])
redis.call('RPUSH', KEYS[2], KEYS[1])
redis.call('SET', KEYS[1], ARGV[1])
local extra = redis.call('LLEN', KEYS[2]) - tonumber(ARGV[2])
for _ = 1, extra do redis.call('UNLINK', redis.call('LPOP', KEYS[2])) end
"""

#: KEYS: the list of thumbnail keys. Drops every thumbnail (with the journal they belong to).
CLEAR_THUMBNAILS = """
for _, key in ipairs(redis.call('LRANGE', KEYS[1], 0, -1)) do redis.call('UNLINK', key) end
redis.call('DEL', KEYS[1])
"""

#: KEYS: the journal (a list of record JSON, oldest first). ARGV: a key fingerprint.
#: Drops that key's records and keeps the others in their order, in one step, so no
#: append lands between the read and the rewrite; answers how many were dropped.
CLEAR_RECORDS_OF_KEY = """
local kept, dropped = {}, 0
for _, text in ipairs(redis.call('LRANGE', KEYS[1], 0, -1)) do
  local ok, record = pcall(cjson.decode, text)
  if ok and type(record) == 'table' and record['key'] == ARGV[1] then
    dropped = dropped + 1
  else
    table.insert(kept, text)
  end
end
if dropped > 0 then
  redis.call('DEL', KEYS[1])
  for start = 1, #kept, 1000 do
    redis.call('RPUSH', KEYS[1], unpack(kept, start, math.min(start + 999, #kept)))
  end
end
return dropped
"""

#: ARGV: a SCAN MATCH pattern for this mock's keys. Deletes only those keys
#: (never FLUSHDB: the Redis may hold other data), all in one script so no
#: request sees half a reset. Scripts that write after SCAN need effect
#: replication, the default since Redis 7 and switched on here for 5 and 6.
RESET = """
if redis.replicate_commands then pcall(redis.replicate_commands) end
local cursor = '0'
local deleted = 0
repeat
  local page = redis.call('SCAN', cursor, 'MATCH', ARGV[1], 'COUNT', 1000)
  cursor = page[1]
  for _, key in ipairs(page[2]) do
    deleted = deleted + redis.call('UNLINK', key)
  end
until cursor == '0'
return deleted
"""
