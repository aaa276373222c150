"""The bounded pool (503 when full) and the result cache (one computation per request)."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
from http_helpers import strict_json
from waits import wait_for
from websockets.sync.client import connect

import server.compute
from server.cache import ResultCache
from server.pool import ComputePool, PoolFull


def test_pool_refuses_beyond_workers_plus_queue() -> None:
    async def scenario() -> None:
        pool = ComputePool(workers=1, queue_size=1)
        gate = threading.Event()
        running = asyncio.ensure_future(pool.run(gate.wait))
        waiting = asyncio.ensure_future(pool.run(lambda: 42))
        await asyncio.sleep(0.05)
        assert pool.pending == 2
        with pytest.raises(PoolFull):
            await pool.run(lambda: 0)
        # A waiter that gives up before its job starts frees its slot at once.
        waiting.cancel()
        await asyncio.sleep(0.05)
        assert pool.pending == 1
        gate.set()
        assert await running is True
        assert await pool.run(lambda: 7) == 7
        assert (pool.pending, pool.running) == (0, 0)
        pool.shutdown()

    asyncio.run(scenario())


def test_pool_keeps_the_slot_of_a_running_job_whose_waiter_left() -> None:
    async def scenario() -> None:
        pool = ComputePool(workers=1, queue_size=0)
        gate = threading.Event()
        job = asyncio.ensure_future(pool.run(gate.wait))
        await asyncio.sleep(0.05)
        job.cancel()
        await asyncio.sleep(0.05)
        # The thread still works, so the slot stays taken until it ends.
        assert (pool.pending, pool.running) == (1, 1)
        with pytest.raises(PoolFull):
            await pool.run(lambda: 0)
        gate.set()
        for _ in range(100):
            if pool.pending == 0:
                break
            await asyncio.sleep(0.01)
        assert (pool.pending, pool.running) == (0, 0)
        pool.shutdown()

    asyncio.run(scenario())


def test_cache_evicts_least_recently_used_by_count_and_bytes() -> None:
    cache = ResultCache(max_entries=2, max_bytes=10)
    cache.put("a", b"1111")
    cache.put("b", b"2222")
    assert cache.get("a") == b"1111"  # a is now the most recent
    cache.put("c", b"3333")
    assert (cache.get("a"), cache.get("b"), cache.get("c")) == (b"1111", None, b"3333")
    cache.put("d", b"4444444")  # 7 + 4 bytes > 10: the oldest goes
    assert len(cache) == 1 and cache.get("d") == b"4444444"
    cache.put("huge", b"x" * 11)  # larger than the whole budget: not stored
    assert cache.get("huge") is None and cache.get("d") == b"4444444"


def test_cheap_results_are_cached_from_their_second_ask() -> None:
    cache = ResultCache(max_entries=2, max_bytes=100)
    calls: list[str] = []

    def ask(key: str) -> bytes:
        def compute() -> bytes:
            calls.append(key)
            return key.encode()

        return cache.fill_now(key, compute)

    assert ask("a") == b"a" and not cache.known("a")  # asked once: not kept
    assert ask("a") == b"a" and cache.get("a") == b"a"  # twice: kept
    assert calls == ["a", "a"]
    # Only the last 4 * max_entries one-off keys are remembered: the oldest is forgotten.
    for key in "bcdefghij":
        ask(key)
    ask("b")
    ask("j")
    assert (cache.get("b"), cache.get("j")) == (None, b"j")
    assert len(cache) == 2 and cache.computations == 13


def test_cache_merges_concurrent_identical_requests_and_not_failures() -> None:
    async def scenario() -> None:
        cache = ResultCache(max_entries=8, max_bytes=1000)
        calls = 0

        async def compute(_stop: Callable[[], bool]) -> bytes:
            nonlocal calls
            calls += 1
            await asyncio.sleep(0.05)
            return b"result"

        results = await asyncio.gather(*(cache.get_or_compute("k", compute) for _ in range(20)))
        assert results == [b"result"] * 20 and calls == 1
        assert await cache.get_or_compute("k", compute) == b"result" and calls == 1

        async def fail(_stop: Callable[[], bool]) -> bytes:
            raise ValueError("engine said no")

        for _ in range(2):
            with pytest.raises(ValueError):
                await cache.get_or_compute("bad", fail)
        assert cache.get("bad") is None

        # A waiter that goes away does not cancel the computation the others wait for.
        slow = asyncio.ensure_future(cache.get_or_compute("s", compute))
        other = asyncio.ensure_future(cache.get_or_compute("s", compute))
        await asyncio.sleep(0.01)
        slow.cancel()
        assert await other == b"result"

    asyncio.run(scenario())


def test_cache_stops_a_stoppable_computation_once_every_waiter_left() -> None:
    async def scenario() -> None:
        cache = ResultCache(max_entries=8, max_bytes=1000)
        stops: list[Callable[[], bool]] = []

        async def compute(stop: Callable[[], bool]) -> bytes:
            stops.append(stop)
            while not stop():
                await asyncio.sleep(0.001)
            raise RuntimeError("stopped")

        first = asyncio.ensure_future(cache.get_or_compute("k", compute, stoppable=True))
        second = asyncio.ensure_future(cache.get_or_compute("k", compute, stoppable=True))
        await asyncio.sleep(0.01)
        assert len(stops) == 1 and cache.known("k")
        first.cancel()
        await asyncio.sleep(0.01)
        assert not stops[0]()  # the second socket still waits for the same position
        second.cancel()
        await asyncio.sleep(0.01)
        assert stops[0]() and not cache.known("k")
        # Without `stoppable` (HTTP), the work goes on for the cache after its client left.
        third = asyncio.ensure_future(cache.get_or_compute("h", compute))
        await asyncio.sleep(0.01)
        third.cancel()
        await asyncio.sleep(0.01)
        assert not stops[1]() and cache.known("h")

    asyncio.run(scenario())


def test_503_with_retry_after_when_the_pool_is_full(start_server, gated_engine) -> None:
    live = start_server(workers=1, queue_size=0, inline_max_steps=0)
    compute = live.server.config.app.state.compute
    with ThreadPoolExecutor(1) as executor:
        first = executor.submit(httpx.post, f"{live.url}/api/v1/simulate", json={"seed": 1})
        wait_for(lambda: compute.pool.running == 1)
        busy = httpx.post(f"{live.url}/api/v1/simulate", json={"seed": 2}, timeout=30)
        assert busy.status_code == 503
        assert busy.headers["retry-after"] == "1"
        assert "busy" in strict_json(busy.text)["detail"]
        # A stream's newest request waits its turn instead (one job a socket at most).
        with connect(f"{live.ws_url}/api/v1/stream") as socket:
            socket.send('{"type": "simulate", "id": 9, "params": {"seed": 3}}')
            wait_for(lambda: compute.pool.pending == 2)
            assert compute.pool.running == 1
            gated_engine["gate"].set()
            frame = strict_json(str(socket.recv(timeout=30)))
            while frame["type"] in ("forward", "backward"):
                frame = strict_json(str(socket.recv(timeout=30)))
            assert (frame["type"], frame["id"]) == ("done", 9)
        assert first.result(timeout=30).status_code == 200
    again = httpx.post(f"{live.url}/api/v1/simulate", json={"seed": 2}, timeout=30)
    assert again.status_code == 200


def test_a_class_opening_one_preset_costs_one_computation(start_server, gated_engine) -> None:
    live = start_server(workers=2, queue_size=2, inline_max_steps=0)
    url = f"{live.url}/api/v1/simulate?activation=linear&seq_len=5&w_rec=0.1"
    with ThreadPoolExecutor(30) as executor:
        students = [executor.submit(httpx.get, url, timeout=30) for _ in range(30)]
        wait_for(lambda: gated_engine["calls"] == 1)
        time.sleep(0.2)  # let every student's request arrive while the one computation waits
        gated_engine["gate"].set()
        answers = [s.result(timeout=30) for s in students]
    # 30 concurrent identical requests share one computation even with only 4 pool slots.
    assert [a.status_code for a in answers] == [200] * 30
    assert gated_engine["calls"] == 1
    assert len({a.content for a in answers}) == 1
    assert answers[0].json()["grad_log10"][0] == pytest.approx(-4, abs=1e-9)
    body = {"activation": "linear", "seq_len": 5, "w_rec": 0.1}
    assert httpx.post(f"{live.url}/api/v1/simulate", json=body).content == answers[0].content
    assert gated_engine["calls"] == 1


@pytest.fixture
def engine_threads(monkeypatch) -> list[str]:
    """The name of the thread each HTTP engine call ran on."""
    names: list[str] = []
    real = server.compute._simulate_json

    def recorded(*args: Any) -> bytes:
        names.append(threading.current_thread().name)
        return real(*args)

    monkeypatch.setattr(server.compute, "_simulate_json", recorded)
    return names


@pytest.mark.parametrize(
    ("body", "inline"),
    [
        ({"hidden_size": 32, "seq_len": 100}, True),  # the slider's job: ~1 ms
        ({"hidden_size": 32, "seq_len": 129}, False),  # over INLINE_MAX_WORK
        ({"seq_len": 257}, False),  # over inline_max_steps
        ({"seq_len": 200, "bidirectional": True}, False),  # 400 steps in all
        ({"cell": "gru", "seq_len": 5}, False),  # the torch engine: dispatch-bound, longer
        ({"dtype": "float32", "seq_len": 5}, False),
    ],
)
def test_only_small_numpy_jobs_run_on_the_event_loop(
    start_server, engine_threads, body: dict[str, Any], inline: bool
) -> None:
    live = start_server()
    compute = live.server.config.app.state.compute
    response = httpx.post(f"{live.url}/api/v1/simulate", json={**body, "seed": 5}, timeout=30)
    assert response.status_code == 200
    assert len(engine_threads) == 1
    assert engine_threads[0].startswith("rnngf-compute") is not inline
    assert compute.cache.computations == 1
    # A pooled result is cached at once; an inline one (cheap) from its second ask on, which
    # computes it again (only elapsed_ms differs) for the third to read.
    answers = [
        httpx.post(f"{live.url}/api/v1/simulate", json={**body, "seed": 5}, timeout=30)
        for _ in range(2)
    ]
    assert len(engine_threads) == (2 if inline else 1)
    assert answers[0].content == answers[1].content
    first, second = strict_json(response.text), strict_json(answers[0].text)
    assert {**first, "elapsed_ms": 0} == {**second, "elapsed_ms": 0}


def test_inline_and_pooled_answers_are_the_same(start_server, engine_threads) -> None:
    inline = start_server()
    pooled = start_server(inline_max_steps=0)
    body = {"hidden_size": 8, "seq_len": 40, "w_rec": 1.7, "seed": 11}
    answers = [
        httpx.post(f"{live.url}/api/v1/simulate", json=body, timeout=30)
        for live in (inline, pooled)
    ]
    assert [a.status_code for a in answers] == [200, 200]
    results = [strict_json(a.text) for a in answers]
    for result in results:
        assert result.pop("elapsed_ms") > 0  # the one field that may differ
    assert results[0] == results[1]
    assert [name.startswith("rnngf-compute") for name in engine_threads] == [False, True]
