"""Moved to :mod:`support.core`; kept so that older imports still work."""

from support.core import FakeClient, until

__all__ = ["FakeClient", "until"]
