"""node/api/server.py's QuietServer: uvicorn whose housekeeping loop wakes once a second (ten times is 3 ms of CPU
a second for every idle node), still serving at once and stopping at once when asked."""
from __future__ import annotations

import time

import httpx
from fastapi import FastAPI

from node.api.server import BackgroundServer


def test_an_idle_server_wakes_about_once_a_second_serves_at_once_and_stops_when_asked():
    app = FastAPI()

    @app.get("/ping")
    def ping() -> dict:
        return {"ok": True}

    running = BackgroundServer(app).start()
    ticks = []
    on_tick = running.server.on_tick

    async def counted(counter: int) -> bool:
        ticks.append(counter)
        return await on_tick(counter)

    running.server.on_tick = counted
    try:
        time.sleep(2.5)
        assert 1 <= len(ticks) <= 4, f"{len(ticks)} wake-ups in 2.5 s (uvicorn's own loop: 25)"
        assert all(c % 10 == 0 for c in ticks), "every wake-up refreshes the Date header (counter % 10 == 0)"
        response = httpx.get(f"{running.url}/ping", timeout=2)
        assert response.json() == {"ok": True} and "date" in response.headers
    finally:
        asked = time.monotonic()
        running.stop()
        stopped_in = time.monotonic() - asked
    assert not running.thread.is_alive()
    assert stopped_in < 0.9, f"stop took {stopped_in:.2f} s: the loop was not woken, it waited out its second"
