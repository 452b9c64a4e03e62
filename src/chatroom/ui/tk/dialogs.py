"""Small windows: the connect dialog and a one-question dialog (join a room,
choose a name).

Neither blocks: they call back when their button is pressed, so the network
queue keeps being drained meanwhile. As in IDLE, ``_utest=True`` skips the
grab and the wait for the window to appear, so tests can fill the fields and
``invoke()`` the buttons under any window manager, or none.
"""

from __future__ import annotations

import contextlib
import tkinter as tk
from collections.abc import Callable
from tkinter import ttk

from chatroom.client import is_valid_nick
from chatroom.ui.tk.settings import ConnectSettings, parse_port

NICKLEN = 32  # the server's default; the server has the last word


class Field(ttk.Entry):
    """A one-line entry with ``set``. Used instead of ``StringVar``, whose
    finalizer calls Tcl and may run on the client thread when the garbage
    collector happens to run there."""

    def set(self, text: str) -> None:
        self.delete(0, "end")
        self.insert(0, text)


class _Dialog(tk.Toplevel):
    """A transient, centred, optionally modal window with an error line."""

    def __init__(self, parent: tk.Misc, title: str, *, _utest: bool = False) -> None:
        super().__init__(parent)
        self.withdraw()
        self.title(title)
        self.resizable(False, False)
        self._utest = _utest
        self.body = ttk.Frame(self, padding=(20, 16, 20, 16))
        self.body.pack(fill="both", expand=True)
        self.error = ttk.Label(self.body, style="Error.TLabel", wraplength=340, text="")

    def _show(self, focus: tk.Widget) -> None:
        parent = self.master
        if isinstance(parent, tk.Wm) and parent.winfo_viewable():
            self.transient(parent)
        self.update_idletasks()
        # Centre on the parent if it is shown, else on the screen.
        width, height = self.winfo_reqwidth(), self.winfo_reqheight()
        if isinstance(parent, tk.Misc) and parent.winfo_viewable():
            x = parent.winfo_rootx() + (parent.winfo_width() - width) // 2
            y = parent.winfo_rooty() + (parent.winfo_height() - height) // 3
        else:
            x = (self.winfo_screenwidth() - width) // 2
            y = (self.winfo_screenheight() - height) // 3
        self.geometry(f"+{max(x, 0)}+{max(y, 0)}")
        self.deiconify()
        focus.focus_set()
        if not self._utest:
            self.wait_visibility()
            # Another application may hold the grab; the dialog works without it.
            with contextlib.suppress(tk.TclError):
                self.grab_set()

    def show_error(self, text: str) -> None:
        """Show ``text`` in red under the fields ("" hides it)."""
        self.error.configure(text=text)


class ConnectDialog(_Dialog):
    """Asks for server, port, name and (optionally) the account's password,
    which is read with :meth:`account_password` and never saved.
    ``on_connect(settings)`` is called with valid values when Connect is
    pressed; the caller then either closes the dialog (connected) or calls
    :meth:`show_error` and :meth:`set_busy` (``False``) so the user can try
    again. ``on_cancel()`` runs when the window is closed or Quit is pressed."""

    def __init__(
        self,
        parent: tk.Misc,
        initial: ConnectSettings,
        on_connect: Callable[[ConnectSettings], None],
        on_cancel: Callable[[], None],
        *,
        error: str = "",
        _utest: bool = False,
    ) -> None:
        super().__init__(parent, "Connect to a chat server", _utest=_utest)
        self._on_connect = on_connect
        self._on_cancel = on_cancel
        body = self.body
        ttk.Label(body, text="Join the chat", style="Heading.TLabel").grid(
            row=0, column=0, columnspan=2, sticky="w"
        )
        ttk.Label(
            body, text="Ask whoever runs the server for its address.", style="Topic.TLabel"
        ).grid(row=1, column=0, columnspan=2, sticky="w", pady=(2, 12))
        self.host = self._field(2, "Server", initial.host, 28)
        self.port = self._field(3, "Port", str(initial.port), 8)
        self.nick = self._field(4, "Your name", initial.nick, 20)
        # Optional, and never remembered: only for a name registered with /register.
        self.password = self._field(5, "Password", "", 20)
        self.password.configure(show="•")
        ttk.Label(
            body,
            text="Only if your name is registered; leave empty otherwise.",
            style="Topic.TLabel",
        ).grid(row=6, column=1, sticky="w")
        self.error.grid(row=7, column=0, columnspan=2, sticky="w", pady=(8, 0))
        buttons = ttk.Frame(body)
        buttons.grid(row=8, column=0, columnspan=2, sticky="e", pady=(14, 0))
        self.quit_button = ttk.Button(buttons, text="Quit", command=self.cancel)
        self.quit_button.pack(side="right")
        self.connect_button = ttk.Button(
            buttons, text="Connect", style="Accent.TButton", command=self.connect
        )
        self.connect_button.pack(side="right", padx=(0, 8))
        body.columnconfigure(1, weight=1)
        self.bind("<Return>", lambda _event: self.connect())
        self.bind("<KP_Enter>", lambda _event: self.connect())
        self.bind("<Escape>", lambda _event: self.cancel())
        self.protocol("WM_DELETE_WINDOW", self.cancel)
        self.show_error(error)
        # The cursor goes where typing is needed: the server if it is blank,
        # else the name.
        first_empty = self.host if not initial.host else self.nick
        self._show(first_empty)
        first_empty.select_range(0, "end")

    def _field(self, row: int, label: str, value: str, width: int) -> Field:
        ttk.Label(self.body, text=label).grid(row=row, column=0, sticky="w", padx=(0, 12), pady=3)
        entry = Field(self.body, width=width, font="TkTextFont")
        entry.set(value)
        entry.grid(row=row, column=1, sticky="w", pady=3)
        return entry

    def values(self) -> ConnectSettings | str:
        """The settings typed, or a sentence saying what is wrong with them."""
        host = self.host.get().strip()
        port = parse_port(self.port.get())
        nick = self.nick.get().strip()
        if not host:
            return "Please type the server's address, e.g. 127.0.0.1."
        if port is None:
            return "The port is a number from 1 to 65535 (chatroom's is 1060)."
        if not nick:
            return "Please type a name: it is how others see you."
        if " " in nick:
            return "A name cannot contain spaces; try " + nick.replace(" ", "_") + "."
        if not is_valid_nick(nick, NICKLEN):
            return (
                f"{nick} cannot be used as a name: use letters, digits and - _ [ ] {{ }} ^ ` | \\ "
                f"only, at most {NICKLEN} characters, not starting with a digit or -."
            )
        return ConnectSettings(host, port, nick)

    def account_password(self) -> str | None:
        """The password typed, or ``None`` if the field is empty."""
        return self.password.get() or None

    def connect(self) -> None:
        """The Connect button: check the fields, then hand them to ``on_connect``."""
        if str(self.connect_button.cget("state")) == "disabled":
            return
        values = self.values()
        if isinstance(values, str):
            self.show_error(values)
            return
        self.set_busy(True)
        self.show_error("")
        self._on_connect(values)

    def set_busy(self, busy: bool) -> None:
        """While connecting: Connect is greyed out and says so."""
        self.connect_button.configure(
            state="disabled" if busy else "normal", text="Connecting…" if busy else "Connect"
        )

    def cancel(self) -> None:
        self._on_cancel()


class AskDialog(_Dialog):
    """One question with one line of answer. ``on_ok(answer)`` returns a problem
    to show (the dialog stays open) or ``None`` (the dialog closes)."""

    def __init__(
        self,
        parent: tk.Misc,
        title: str,
        prompt: str,
        on_ok: Callable[[str], str | None],
        *,
        ok_text: str = "OK",
        initial: str = "",
        error: str = "",
        _utest: bool = False,
    ) -> None:
        super().__init__(parent, title, _utest=_utest)
        self._on_ok = on_ok
        ttk.Label(self.body, text=prompt, wraplength=340).grid(row=0, column=0, sticky="w")
        self.answer = Field(self.body, width=32, font="TkTextFont")
        self.answer.set(initial)
        self.answer.grid(row=1, column=0, sticky="we", pady=(8, 0))
        self.error.grid(row=2, column=0, sticky="w", pady=(6, 0))
        buttons = ttk.Frame(self.body)
        buttons.grid(row=3, column=0, sticky="e", pady=(14, 0))
        self.cancel_button = ttk.Button(buttons, text="Cancel", command=self.destroy)
        self.cancel_button.pack(side="right")
        self.ok_button = ttk.Button(buttons, text=ok_text, style="Accent.TButton", command=self.ok)
        self.ok_button.pack(side="right", padx=(0, 8))
        self.bind("<Return>", lambda _event: self.ok())
        self.bind("<KP_Enter>", lambda _event: self.ok())
        self.bind("<Escape>", lambda _event: self.destroy())
        self.show_error(error)
        self._show(self.answer)
        self.answer.icursor("end")

    def ok(self) -> None:
        problem = self._on_ok(self.answer.get())
        if problem is None:
            self.destroy()
        else:
            self.show_error(problem)


class TrustDialog(_Dialog):
    """Asks whether to trust a server's certificate that cannot be verified,
    showing its fingerprint. ``on_answer(trusted)`` is called once: True for
    Trust, False for Don't trust or closing the window."""

    def __init__(
        self,
        parent: tk.Misc,
        server: str,
        fingerprint: str,
        reason: str,
        on_answer: Callable[[bool], None],
        *,
        _utest: bool = False,
    ) -> None:
        super().__init__(parent, "Trust this server?", _utest=_utest)
        self._on_answer: Callable[[bool], None] | None = on_answer
        body = self.body
        ttk.Label(body, text="Trust this server's certificate?", style="Heading.TLabel").grid(
            row=0, column=0, sticky="w"
        )
        text = (
            f"The certificate of {server} cannot be verified ({reason}). If its "
            "fingerprint below is the one the server's operator sees (the server logs it "
            "when it starts), it is safe to trust it; it will be remembered."
        )
        ttk.Label(body, text=text, wraplength=380).grid(row=1, column=0, sticky="w", pady=(6, 8))
        # A read-only entry, so the fingerprint can be selected and compared.
        self.fingerprint = Field(body, width=50, font="TkFixedFont")
        self.fingerprint.set(fingerprint)
        self.fingerprint.configure(state="readonly")
        self.fingerprint.grid(row=2, column=0, sticky="we")
        buttons = ttk.Frame(body)
        buttons.grid(row=3, column=0, sticky="e", pady=(14, 0))
        self.refuse_button = ttk.Button(buttons, text="Don't trust", command=self.refuse)
        self.refuse_button.pack(side="right")
        self.trust_button = ttk.Button(
            buttons, text="Trust", style="Accent.TButton", command=self.trust
        )
        self.trust_button.pack(side="right", padx=(0, 8))
        self.bind("<Escape>", lambda _event: self.refuse())
        self.protocol("WM_DELETE_WINDOW", self.refuse)
        # The safe answer has the focus: Enter does not trust by accident.
        self._show(self.refuse_button)

    def _answer(self, trusted: bool) -> None:
        callback, self._on_answer = self._on_answer, None
        self.destroy()
        if callback is not None:
            callback(trusted)

    def trust(self) -> None:
        self._answer(True)

    def refuse(self) -> None:
        self._answer(False)
