"""Urgent requests (documents a check just found, robots.txt) go before the cycle's waiting first requests,
and robots.txt answers from its cache without queueing every request on a lock."""

from __future__ import annotations

import asyncio

import pytest

from monitor.config.http import HttpSettings
from monitor.fetch.politeness import Politeness, PrioritySemaphore, RobotsCache


async def test_urgent_waiters_go_first_each_kind_in_order() -> None:
    sem = PrioritySemaphore(1)
    await sem.acquire()
    order: list[str] = []

    async def take(name: str, urgent: bool) -> None:
        await sem.acquire(urgent)
        order.append(name)
        await asyncio.sleep(0)
        sem.release()

    tasks = [asyncio.create_task(take(n, u)) for n, u in
             [("feed-1", False), ("feed-2", False), ("pdf-1", True), ("feed-3", False), ("pdf-2", True)]]
    await asyncio.sleep(0)
    assert sem.waiting() == 5
    sem.release()
    await asyncio.gather(*tasks)
    assert order == ["pdf-1", "pdf-2", "feed-1", "feed-2", "feed-3"]
    assert sem.waiting() == 0
    await asyncio.wait_for(sem.acquire(), 1)  # the one slot is free again


async def test_a_cancelled_waiter_loses_no_slot() -> None:
    sem = PrioritySemaphore(1)
    await sem.acquire()
    waiting = asyncio.create_task(sem.acquire())
    behind = asyncio.create_task(sem.acquire(urgent=True))
    await asyncio.sleep(0)
    sem.release()           # handed to `behind` (urgent)...
    waiting.cancel()        # ...and the cancelled one leaves the queue
    await behind
    with pytest.raises(asyncio.CancelledError):
        await waiting
    assert sem.waiting() == 0
    sem.release()
    await asyncio.wait_for(sem.acquire(), 1)


async def test_a_slot_handed_to_a_task_cancelled_at_that_moment_is_passed_on() -> None:
    sem = PrioritySemaphore(1)
    await sem.acquire()
    first = asyncio.create_task(sem.acquire())
    second = asyncio.create_task(sem.acquire())
    await asyncio.sleep(0)
    sem.release()           # granted to `first`, which is cancelled before it runs
    first.cancel()
    with pytest.raises(asyncio.CancelledError):
        await first
    await asyncio.wait_for(second, 1)  # so it went to `second`


async def test_politeness_lets_an_urgent_request_past_a_queue_of_others() -> None:
    polite = Politeness(HttpSettings(concurrency=1, per_host_concurrency=1, per_host_delay=0))
    started: list[str] = []
    gate = asyncio.Event()

    async def request(name: str, urgent: bool = False) -> None:
        async with polite.slot("example.org", urgent):
            started.append(name)
            if name == "first":
                await gate.wait()

    tasks = [asyncio.create_task(request("first"))]
    await asyncio.sleep(0)
    tasks += [asyncio.create_task(request(f"listing-{n}")) for n in range(20)]
    await asyncio.sleep(0)
    tasks.append(asyncio.create_task(request("board-pack.pdf", urgent=True)))
    await asyncio.sleep(0)
    gate.set()
    await asyncio.gather(*tasks)
    assert started[:2] == ["first", "board-pack.pdf"] and len(started) == 22


async def test_robots_is_fetched_once_and_then_answered_without_the_lock() -> None:
    fetched: list[str] = []

    async def fetch(url: str) -> tuple[int, str]:
        fetched.append(url)
        await asyncio.sleep(0.01)
        return 200, "User-agent: *\nDisallow: /private/\n"

    robots = RobotsCache(fetch, "nhs-service-monitor/1.0")
    answers = await asyncio.gather(*(robots.allowed(f"https://example.org/p/{n}") for n in range(50)),
                                   robots.allowed("https://example.org/private/x"))
    assert fetched == ["https://example.org/robots.txt"]
    assert all(answers[:50]) and answers[50] is False
    lock = robots.locks["https://example.org"]
    async with lock:  # held elsewhere: a cached answer does not wait for it
        assert await asyncio.wait_for(robots.allowed("https://example.org/p/again"), 1) is True
