"""The names of what the network keeps in Redis (keys under ``{chatroom}:``, the
pub/sub channels under ``chatroom:``; see
docs/scale-out.md), in one place so every part of the bridge spells them alike:

* ``alive:<process>``: a heartbeat, set every :data:`~.state.HEARTBEAT` seconds to
  expire after :data:`~.state.TTL`; a process whose key is gone is dead and its
  users quit.
* ``nick:<folded>``: the process owning a nick, claimed atomically (a Lua script:
  free, already ours, or owned by a process without a heartbeat), with no expiry;
  ``owned:<process>`` (a set) lists the nick keys of a process, so whoever notices
  its death removes them. The heartbeat costs the same however many users there are.
* ``users`` (hash ``folded nick -> {nick, source, process}``, plus what WHO/WHOIS
  show: realname, account, away, modes, signon, TLS; see
  :func:`~.records.user_record`) and ``members:<channel>`` (hash
  ``folded nick -> {status, process}``): the snapshot a starting process reads to
  learn who is where.
* ``channel:<channel>``: the channel's shared state (modes, key, limit, lists,
  topic, registration; JSON from :mod:`.channels`): written by its creator (Lua,
  atomically: only if ``members:<channel>`` does not exist yet, so one process wins
  a simultaneous creation, and its JOIN waits for the answer), then by whoever
  changes it (Lua: stored and published in one step, so stored order is heard
  order), set if missing by every JOIN (which carries it), deleted (Lua: only
  if ``members:<channel>`` is gone and the channel is not permanent) when the
  last member leaves. The scripts are in :mod:`.scripts`.
* pub/sub ``chatroom:events``: one message per event (see :mod:`.events`) for
  every process, except channel messages; ``chatroom:{<channel>}``: the
  messages of one channel, heard by the processes with local members there (a
  shard channel on Redis 7: see :mod:`.interest`); ``chatroom:proc:<random part
  of the process id>``: private messages for one process. The names are short
  on purpose: each travels with every message, into Redis and out.
"""

from __future__ import annotations

from chatroom.cluster.wireline import msgid_prefix

STATE_TAG = "{chatroom}"
"""The Redis Cluster hash tag of every key: one slot, so a script may touch any of
them together, and what the scripts store and publish keeps one order (see
:mod:`.connect`). On one Redis a hash tag changes nothing."""

EVENTS = "chatroom:events"
USERS = f"{STATE_TAG}:users"
ALIVE_PREFIX = f"{STATE_TAG}:alive:"
OWNED_PREFIX = f"{STATE_TAG}:owned:"
MEMBERS_PREFIX = f"{STATE_TAG}:members:"
CHANNEL_PREFIX = f"{STATE_TAG}:channel:"


def alive_key(process: str) -> str:
    return f"{ALIVE_PREFIX}{process}"


def owned_key(process: str) -> str:
    return f"{OWNED_PREFIX}{process}"


def nick_key(folded: str) -> str:
    return f"{STATE_TAG}:nick:{folded}"


def members_key(channel: str) -> str:
    return f"{MEMBERS_PREFIX}{channel}"


def channel_key(channel: str) -> str:
    return f"{CHANNEL_PREFIX}{channel}"


def inbox_key(process: str) -> str:
    """The pub/sub channel of the events for ``process`` alone. It carries the
    random part of the process id only (unique on its own: the msgid prefix), as
    its name travels with every message twice (into Redis and out)."""
    return f"chatroom:proc:{msgid_prefix(process)}"


CHANNEL_EVENTS_PREFIX = "chatroom:"


def channel_events_key(channel: str) -> str:
    """The pub/sub channel of the messages of ``channel`` (folded). The name in
    braces is its Redis Cluster hash tag: one chat channel, one shard."""
    return f"{CHANNEL_EVENTS_PREFIX}{{{channel}}}"


def channel_of_events_key(key: str) -> str | None:
    """The folded channel whose messages pub/sub channel ``key`` carries, or None."""
    if key.startswith(CHANNEL_EVENTS_PREFIX + "{") and key.endswith("}"):
        return key[len(CHANNEL_EVENTS_PREFIX) + 1 : -1]
    return None
