"""What a ban list costs per message: our hostmask matcher beside the one it replaced.

``python -m bench.masks`` (``make bench-masks``) checks 100 adversarial ban masks shaped
like ``*aaaa…aaab`` (30 to 130 characters, the shape that made each PRIVMSG cost about
14 ms before issue 14) against a 32-character nick with a 15-character user, the way a
channel checks a sender, and prints the time per check of all 100 for:

- ``chatroom``: :func:`chatroom.protocol.masks.compile_mask`, one pass over the name
  whatever the mask's shape;
- ``two-pointer``: the matcher chatroom used before issue 14 (kept here as the
  reference), a two-pointer glob match that backs up to the last ``*``: linear for most
  masks but O(mask × name) for these, character by character in Python.

Both in one run, so the ratio holds on a noisy machine. The per-member cache in
``Channel.is_banned`` means a member pays this once per change of its nick, host,
account or the list, not once per message; this measures the worst case, a first check.
"""

from __future__ import annotations

import argparse
import timeit

from chatroom.protocol.masks import compile_mask

NICK = "a" * 32
NAME = f"{NICK}!{'a' * 15}@127.0.0.1"


def adversarial_masks(count: int = 100) -> list[str]:
    """``*aaa…ab`` masks from 30 to 130 characters: none matches, all backtrack."""
    return ["*" + "a" * (28 + i * 100 // max(count - 1, 1)) + "b" for i in range(count)]


def two_pointer_match(mask: str, text: str) -> bool:
    """The matcher before issue 14 (both sides already case-folded)."""
    mi = ti = 0
    star = -1
    resume = 0
    while ti < len(text):
        if mi < len(mask) and (mask[mi] == "?" or mask[mi] == text[ti]):
            mi += 1
            ti += 1
        elif mi < len(mask) and mask[mi] == "*":
            star, resume = mi, ti
            mi += 1
        elif star != -1:
            mi = star + 1
            resume += 1
            ti = resume
        else:
            return False
    while mi < len(mask) and mask[mi] == "*":
        mi += 1
    return mi == len(mask)


def per_check(check: object, repeat: int) -> float:
    """Seconds for one call of ``check`` (best of 5 runs of ``repeat`` calls)."""
    timer = timeit.Timer(check)  # type: ignore[arg-type]
    return min(timer.repeat(5, repeat)) / repeat


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.masks", description=__doc__)
    parser.add_argument("--masks", type=int, default=100, help="ban masks in the list (100)")
    args = parser.parse_args(argv)
    masks = adversarial_masks(args.masks)
    compiled = [compile_mask(mask) for mask in masks]
    short = [compile_mask("*" + "a" * 28 + "b")] * args.masks
    long_ = [compile_mask("*" + "a" * 128 + "b")] * args.masks

    def ours() -> bool:
        return any(mask.matches(NAME) for mask in compiled)

    def before() -> bool:
        return any(two_pointer_match(mask, NAME) for mask in masks)

    assert not ours() and not before()
    figures = {
        "chatroom": per_check(ours, 200),
        "two-pointer (before)": per_check(before, 3),
        "chatroom, 30-char masks": per_check(lambda: any(m.matches(NAME) for m in short), 200),
        "chatroom, 130-char masks": per_check(lambda: any(m.matches(NAME) for m in long_), 200),
    }
    print(f"{args.masks} masks like *aaa…ab against {NAME!r}: time per check of the list")
    for name, seconds in figures.items():
        print(f"  {name:<26} {seconds * 1e3:9.3f} ms")
    ratio = figures["two-pointer (before)"] / figures["chatroom"]
    growth = figures["chatroom, 130-char masks"] / figures["chatroom, 30-char masks"]
    print(f"  before / chatroom: {ratio:.0f}x; chatroom, 130-char / 30-char masks: {growth:.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
