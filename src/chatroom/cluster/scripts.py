"""The Lua scripts the bridge runs in Redis, each atomic (no other command runs
in between), for what must not race between processes: claiming and giving back
nicks, removing a record only if its process wrote it, and creating, changing and
forgetting a channel's shared state.

Nick keys (``{chatroom}:nick:<folded>``) hold the owning process and never expire;
``{chatroom}:owned:<process>`` lists a process's nick keys. A nick whose owner has
no heartbeat (``{chatroom}:alive:<process>`` gone) counts as free, so a dead
process's nicks need no cleanup to be taken again (cleanup happens anyway, by
whoever notices the death, with :data:`FORGET`).

Every key a script touches, declared or not (the owner's heartbeat and owned set),
carries the hash tag ``{chatroom}`` (:mod:`.keys`): on a Redis Cluster a script runs
only on keys of one slot.
"""

# KEYS[1], a nick key: free, already ours, or its owner has no heartbeat (dead,
# or Redis forgot it)? Take it, for good (no expiry: the heartbeat need not
# refresh it), and list it in our owned set KEYS[2]. ARGV: us, then the alive
# and owned key prefixes.
CLAIM = """
local owner = redis.call('GET', KEYS[1])
if owner == false or owner == ARGV[1] or redis.call('EXISTS', ARGV[2] .. owner) == 0 then
  redis.call('SET', KEYS[1], ARGV[1])
  redis.call('SADD', KEYS[2], KEYS[1])
  if owner and owner ~= ARGV[1] then
    redis.call('SREM', ARGV[3] .. owner, KEYS[1])
  end
  return 1
end
return 0
"""
# Delete only if ours: a nick claimed meanwhile by another process stays its own.
# KEYS[2] is the owned set of ARGV[1].
RELEASE = """
redis.call('SREM', KEYS[2], KEYS[1])
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
"""
# Every nick a (dead or departing) process ARGV[1] still owns, and its owned set.
FORGET = """
for _, key in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  if redis.call('GET', key) == ARGV[1] then
    redis.call('DEL', key)
  end
end
return redis.call('DEL', KEYS[1])
"""
# HDEL of a field written by process ARGV[2] only (a user record or membership):
# after a split, another process may own the same nick and have written it. A
# field that is not a JSON object (corrupted by hand, say) is left alone: an
# error here would fail the writer's whole batch again and again.
HDEL_OURS = """
local value = redis.call('HGET', KEYS[1], ARGV[1])
if not value then return 0 end
local ok, record = pcall(cjson.decode, value)
if ok and type(record) == 'table' and record['p'] == ARGV[2] then
  return redis.call('HDEL', KEYS[1], ARGV[1])
end
return 0
"""

# A channel's state goes when nobody is in it network-wide and it is not permanent
# (an unreadable state of a channel nobody is in goes too: it can serve nobody).
FORGET_CHANNEL = """
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
local state = redis.call('GET', KEYS[2])
if not state then return 0 end
local ok, body = pcall(cjson.decode, state)
if ok and type(body) == 'table' and body['p'] then return 0 end
return redis.call('DEL', KEYS[2])
"""

# The first member of a channel network-wide creates it: atomically, nobody in it yet.
# Won: add the member, store the state, publish the event (ARGV[4] on ARGV[5]); nil.
# Lost: the state of the channel that exists ('' if none is stored).
CREATE_CHANNEL = """
if redis.call('EXISTS', KEYS[1]) == 1 then
  return redis.call('GET', KEYS[2]) or ''
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('SET', KEYS[2], ARGV[3])
redis.call('PUBLISH', ARGV[5], ARGV[4])
return false
"""

# A change to a channel: store its state (ARGV[1], '' for none) and publish the event
# (ARGV[2] on ARGV[3]) in one step, so the order of stored states is the order every
# process hears them in. Statuses (ARGV[4..]: nick, status) change only for members
# still in the hash, under the process that owns them: a user who left or renamed
# meanwhile is not put back. An unregistered room nobody is in is forgotten.
UPDATE_CHANNEL = """
if ARGV[1] ~= '' then redis.call('SET', KEYS[1], ARGV[1]) end
for i = 4, #ARGV - 1, 2 do
  local record = redis.call('HGET', KEYS[2], ARGV[i])
  if record then
    local ok, body = pcall(cjson.decode, record)
    if ok and type(body) == 'table' then
      body['s'] = ARGV[i + 1]
      redis.call('HSET', KEYS[2], ARGV[i], cjson.encode(body))
    end
  end
end
redis.call('PUBLISH', ARGV[3], ARGV[2])
if ARGV[1] ~= '' and redis.call('EXISTS', KEYS[2]) == 0 then
  local ok, body = pcall(cjson.decode, ARGV[1])
  if ok and type(body) == 'table' and not body['p'] then redis.call('DEL', KEYS[1]) end
end
return 1
"""
