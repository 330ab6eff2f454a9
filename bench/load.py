"""The HTTP load client: timed GETs and the concurrent intake, with httpx (asyncio)."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Callable


def pct(values: list[float], p: float) -> float | None:
    if not values:
        return None
    v = sorted(values)
    k = (len(v) - 1) * p / 100.0
    lo, hi = int(k), min(int(k) + 1, len(v) - 1)
    return v[lo] + (v[hi] - v[lo]) * (k - lo)


def lat_stats(lat_s: list[float], wall_s: float | None = None) -> dict:
    ms = [x * 1000 for x in lat_s]

    def r(x):
        return None if x is None else round(x, 2)

    out = {
        "n": len(ms),
        "p50_ms": r(pct(ms, 50)),
        "p95_ms": r(pct(ms, 95)),
        "p99_ms": r(pct(ms, 99)),
        "mean_ms": r(sum(ms) / len(ms)) if ms else None,
        "max_ms": r(max(ms)) if ms else None,
    }
    if wall_s:
        out["throughput_rps"] = round(len(ms) / wall_s, 1)
    return out


async def read_scenario(
    client,
    paths: list[str],
    *,
    n: int,
    concurrency: int = 1,
    warmup: int = 4,
    budget_s: float = 120,
    headers: dict | None = None,
    check: Callable | None = None,
) -> dict:
    """GET ``paths`` in rotation ``n`` times with ``concurrency`` requests in flight; 200s only count.

    ``check(response)`` may return extra facts (row count) from the first response.
    """
    info: dict = {"path": paths[0], "paths": len(paths), "concurrency": concurrency}
    for i in range(warmup):
        r = await client.get(paths[i % len(paths)], headers=headers)
        if r.status_code != 200:
            info["error"] = f"{r.status_code}: {r.text[:300]}"
            return {**info, **lat_stats([])}
    if check:
        info.update(check(r))
    lat: list[float] = []
    codes: dict[int, int] = {}
    rotation = itertools.cycle(paths)
    todo = iter(range(n))
    deadline = time.monotonic() + budget_s

    async def worker():
        for _ in todo:
            if time.monotonic() > deadline:
                info["budget_exhausted"] = True
                return
            t = time.perf_counter()
            r = await client.get(next(rotation), headers=headers)
            dt = time.perf_counter() - t
            codes[r.status_code] = codes.get(r.status_code, 0) + 1
            if r.status_code == 200:
                lat.append(dt)
            elif "error" not in info:
                info["error"] = f"{r.status_code}: {r.text[:300]}"

    t0 = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    wall = time.perf_counter() - t0
    info["status_codes"] = {str(k): v for k, v in codes.items()}
    return {**info, **lat_stats(lat, wall)}


async def intake(
    client,
    url: str,
    payload: Callable[[int], dict],
    *,
    clients: int,
    seconds: float,
    headers: dict,
    warmup: int = 8,
) -> dict:
    """``clients`` concurrent POST loops for ``seconds``: created/s, latencies, the numbers returned."""
    numbers: list[str] = []
    codes: dict[str, int] = {}
    errors: list[str] = []
    lat: list[float] = []
    counter = itertools.count()

    async def post(i: int) -> None:
        t = time.perf_counter()
        try:
            r = await client.post(url, json=payload(i), headers=headers)
            code = str(r.status_code)
        except Exception as e:  # noqa: BLE001 - a failed request is a result, not a crash
            code, r = type(e).__name__, None
            if len(errors) < 5:
                errors.append(repr(e)[:300])
        dt = time.perf_counter() - t
        codes[code] = codes.get(code, 0) + 1
        if r is not None and r.status_code == 201:
            numbers.append(r.json()["number"])
            if record:
                lat.append(dt)
        elif r is not None and len(errors) < 5:
            errors.append(f"{r.status_code}: {r.text[:300]}")

    record = False
    for _ in range(warmup):
        await post(next(counter))
    warm_numbers = len(numbers)
    record = True
    deadline = time.monotonic() + seconds

    async def loop():
        while time.monotonic() < deadline:
            await post(next(counter))

    t0 = time.perf_counter()
    await asyncio.gather(*(loop() for _ in range(clients)))
    wall = time.perf_counter() - t0
    created = len(numbers) - warm_numbers
    return {
        "endpoint": f"POST {url}",
        "clients": clients,
        "seconds": round(wall, 2),
        "warmup": warmup,
        "created": created,
        "created_per_s": round(created / wall, 1),
        "status_codes": codes,
        "sample_errors": errors,
        "numbers": numbers,
        **lat_stats(lat),
    }
