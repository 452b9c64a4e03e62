"""The writer's mailbox: everything queued is taken at once, in order, and join()
waits until what was taken is reported done."""

from __future__ import annotations

import asyncio

from chatroom.cluster.mailbox import Mailbox


async def test_a_waiting_taker_gets_everything_put_before_it_runs_in_order() -> None:
    box: Mailbox[str] = Mailbox(asyncio.get_running_loop())
    taking = asyncio.ensure_future(box.take())
    await asyncio.sleep(0)
    assert not taking.done()  # nothing yet: it waits
    box.put_nowait("a")
    box.put_nowait("b")
    assert await taking == ["a", "b"]
    box.put_nowait("c")
    assert await box.take() == ["c"]  # without waiting


async def test_join_waits_for_every_item_to_be_done() -> None:
    box: Mailbox[int] = Mailbox(asyncio.get_running_loop())
    await asyncio.wait_for(box.join(), 1)  # nothing put: returns at once
    for item in range(3):
        box.put_nowait(item)
    taken = await box.take()
    joining = asyncio.ensure_future(box.join())
    box.done(2)
    await asyncio.sleep(0)
    assert not joining.done()  # one still being sent
    box.done(1)
    await asyncio.wait_for(joining, 1)
    assert taken == [0, 1, 2]


async def test_a_take_cancelled_as_its_item_arrives_leaves_it_for_the_next() -> None:
    box: Mailbox[str] = Mailbox(asyncio.get_running_loop())
    taking = asyncio.ensure_future(box.take())
    await asyncio.sleep(0)
    box.put_nowait("kept")  # wakes the taker...
    taking.cancel()  # ...which is cancelled before it runs
    await asyncio.gather(taking, return_exceptions=True)
    assert taking.cancelled()
    assert await box.take() == ["kept"]
