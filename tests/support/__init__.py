"""Helpers shared by the tests; the conftest.py files hold fixtures only, built on these.

Import them as ``from support.<module> import ...`` (``tests/`` is on pytest's path):

- ``server``: ``chatroom server`` in a subprocess (``start_server``, ``RunningServer``,
  ``cluster_member`` for a process of a network in Redis).
- ``irc_client``: a blocking raw IRC client parsing with irctokens; ``accounts``: register
  an account and log in with SASL over it.
- ``core``: the server core in memory over a fake transport; ``fakes``: the fake transport
  and network it uses.
- ``client``: the client core running against a real server; ``client_protocol``: the
  client protocol fed lines by hand; ``tk``, ``tk_fakes``, ``xvfb``, ``pty``: the Tk and
  terminal clients on a private display or a pseudo-terminal.
- ``redis``, ``tcp_proxy``, ``postgres``: throwaway Redis and PostgreSQL servers, and a
  relay that cuts a process off Redis.
- ``history``, ``account_stores``: messages and account stores for the storage tests.
- ``irc_lines``: a hypothesis strategy for hostile IRC lines.
- ``tls``: TLS client connections and where the server listens for TLS; ``channels``: a
  channel with all its shared state set.
- ``timeouts``: timeouts scaled by CHATROOM_TEST_SLOWDOWN; ``ports``: a free port.
"""
