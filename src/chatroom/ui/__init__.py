"""User interfaces of chatroom. Each renders the client core's events
(:mod:`chatroom.client`) and passes on what the user types; none holds chat state.

- :mod:`chatroom.ui.terminal`: ``chatroom client``, for terminals and pipes.
"""
