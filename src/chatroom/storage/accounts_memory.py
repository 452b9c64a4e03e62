"""In-memory account store: the test double (and a server run with no data directory).

Same contract as the SQLite backend (one shared test suite runs against both); nothing
survives the process, and the key of the fake SCRAM credentials is new on each start.
"""

from __future__ import annotations

import secrets
from dataclasses import replace

from chatroom.protocol.casemap import casefold
from chatroom.protocol.sasl import DEFAULT_ITERATIONS, ScramCredentials
from chatroom.storage.passwords import Passwords

from .accounts import BanRecord, ChannelRecord, StoredAccount
from .accounts_base import AccountStoreBase

__all__ = ["MemoryAccountStore"]


class MemoryAccountStore(AccountStoreBase):
    """An :class:`~chatroom.storage.accounts.AccountStore` kept in dicts.

    Create it on (or before starting) the loop that uses it; ``await close()`` at the end.
    Hashing still runs on worker threads, so the event loop is never blocked.
    """

    def __init__(
        self,
        *,
        passwords: Passwords | None = None,
        hash_workers: int | None = None,
        scram_iterations: int = DEFAULT_ITERATIONS,
        nick_length: int = 32,
    ) -> None:
        super().__init__(
            secrets.token_bytes(32),
            passwords=passwords,
            hash_workers=hash_workers,
            scram_iterations=scram_iterations,
            nick_length=nick_length,
        )
        self._accounts: dict[str, StoredAccount] = {}
        self._channels: dict[str, ChannelRecord] = {}
        self._bans: dict[str, BanRecord] = {}

    async def _load_account(self, folded: str) -> StoredAccount | None:
        return self._accounts.get(folded)

    async def _insert_account(self, stored: StoredAccount) -> bool:
        return self._accounts.setdefault(stored.account.folded, stored) is stored

    async def _update_secrets(
        self, folded: str, password_hash: str, scram: ScramCredentials
    ) -> bool:
        stored = self._accounts.get(folded)
        if stored is None:
            return False
        self._accounts[folded] = replace(stored, password_hash=password_hash, scram=scram)
        return True

    async def _load_channel(self, folded: str) -> ChannelRecord | None:
        return self._channels.get(folded)

    async def _insert_channel(self, record: ChannelRecord) -> bool:
        return self._channels.setdefault(record.folded, record) is record

    async def _replace_channel(self, record: ChannelRecord) -> bool:
        if record.folded not in self._channels:
            return False
        self._channels[record.folded] = record
        return True

    async def _delete_channel(self, folded: str) -> bool:
        return self._channels.pop(folded, None) is not None

    async def _load_channels(self) -> list[ChannelRecord]:
        return list(self._channels.values())

    async def _put_ban(self, ban: BanRecord) -> None:
        self._bans[casefold(ban.mask)] = ban

    async def _delete_bans(self, folded_masks: list[str]) -> int:
        return sum(self._bans.pop(mask, None) is not None for mask in folded_masks)

    async def _load_bans(self) -> list[BanRecord]:
        return list(self._bans.values())

    async def _close_backend(self) -> None:
        return None
