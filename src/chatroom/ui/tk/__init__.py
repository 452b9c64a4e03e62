"""The Tk desktop client (``chatroom gui``): views over the shared client core.

Modules, from plain logic to widgets:

- :mod:`~chatroom.ui.tk.formatting` -- lines, rows, title and status as data.
- :mod:`~chatroom.ui.tk.tabcomplete` -- Tab completion in the input box.
- :mod:`~chatroom.ui.tk.settings` -- the connect dialog's memory (``gui.json``).
- :mod:`~chatroom.ui.tk.presenter` -- events in, view calls out; user actions
  to the core. Tested without a display.
- :mod:`~chatroom.ui.tk.theme`, :mod:`~chatroom.ui.tk.window`,
  :mod:`~chatroom.ui.tk.dialogs` -- the widgets.
- :mod:`~chatroom.ui.tk.app` -- the client thread, the ``after()`` loop, the
  connect flow; :mod:`~chatroom.ui.tk.cli` -- the ``gui`` subcommand.

The client core (:mod:`chatroom.client`) owns every piece of chat state; this
package only shows it and passes on what the user does.
"""
