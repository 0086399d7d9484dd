"""The run of manage.py stock_benchmark (what it measures: benchmarks/stock_redis)."""

import re
import shutil
import subprocess
import time
import uuid
from dataclasses import dataclass
from urllib.parse import urlsplit

import redis

from appointments.stock.scripts import TAKE_SCRIPT

PROFILES = 100_000
PIPELINE = 16
CONNECTIONS = 50
INSTALL = "apt-get install redis-tools (it ships redis-benchmark)"
# The user the requests come as (TAKE counts it in the session's demand after release).
USER_ID = 1


@dataclass(frozen=True)
class Phase:
    name: str
    ops_per_second: float


class BenchmarkError(Exception):
    pass


def _layout(client: redis.Redis, prefix: str, now: int) -> dict[str, str]:
    """One released, open session, a sold-out slot and an open one, and a user holding
    PROFILES profiles, under `prefix` as appointments/stock/keys.py names them."""
    later = now + 86_400
    session = f"{prefix}s1"
    client.hset(session, mapping={"st": "open", "rel": now - 60, "early": now - 60})
    full = f"{prefix}t1"
    open_slot = f"{prefix}t2"
    for key, free in ((full, 0), (open_slot, 10 * PROFILES)):
        client.hset(key, mapping={"sid": 1, "free": free, "start": later, "cut": later})
    user = f"{prefix}u1"
    for start in range(0, PROFILES, 10_000):
        client.hset(
            user,
            # redis-benchmark writes __rand_int__ as twelve zero-padded digits.
            mapping={
                "ph": 0,
                **{f"p{n:012d}": 1 for n in range(start, start + 10_000)},
            },
        )
    return {"full": full, "open": open_slot, "user": user}


def _check_answers(
    client, sha: str, keys: dict[str, str], prefix: str, now: int
) -> None:
    """Each phase's command answers what the phase claims to measure (the profile is
    one no phase draws: redis-benchmark draws below PROFILES)."""
    probe = f"{PROFILES:012d}"
    client.hset(keys["user"], f"p{probe}", 1)
    for slot, mode, expected in (
        ("full", "take", b"full"),
        ("open", "peek", b"open"),
        ("open", "take", b"won"),
    ):
        answer = client.evalsha(
            sha, 2, keys[slot], keys["user"], prefix, now, probe, mode, USER_ID
        )
        if answer[0] != expected:
            raise BenchmarkError(
                f"TAKE on the {slot} slot ({mode}) answered {answer!r}, not {expected!r}"
            )
    # The probe's seat back, so the take phase's count starts at the layout's.
    client.hincrby(keys["open"], "free", 1)
    client.srem(f"{prefix}p1", probe)


def _redis_benchmark(url: str, requests: int, *command: str) -> float:
    parts = urlsplit(url)
    args = [
        "redis-benchmark",
        "-h",
        parts.hostname or "127.0.0.1",
        "-p",
        str(parts.port or 6379),
        "-n",
        str(requests),
        "-c",
        str(CONNECTIONS),
        "-P",
        str(PIPELINE),
        "-r",
        str(PROFILES),
        "--csv",
    ]
    if parts.password:
        args += ["-a", parts.password]
    db = (parts.path or "/0").strip("/") or "0"
    args += ["--dbnum", db, *command]
    done = subprocess.run(args, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise BenchmarkError(f"redis-benchmark failed: {done.stderr.strip()[:300]}")
    # --csv: a header line, then "name","rps",...
    rows = [line for line in done.stdout.splitlines() if line.startswith('"')]
    match = re.match(r'"[^"]*","([0-9.]+)"', rows[-1]) if rows else None
    if match is None:
        raise BenchmarkError(f"unexpected redis-benchmark output: {done.stdout[:300]}")
    return float(match.group(1))


def run(*, url: str, requests: int) -> tuple[list[Phase], int]:
    """The four phases against the Redis at `url`; returns them and the seats taken."""
    if shutil.which("redis-benchmark") is None:
        raise BenchmarkError(f"redis-benchmark is not installed: {INSTALL}")
    client = redis.Redis.from_url(url)
    prefix = f"bk:bench{uuid.uuid4().hex[:8]}:"
    now = int(time.time())
    try:
        keys = _layout(client, prefix, now)
        sha = client.script_load(TAKE_SCRIPT)
        client.set(f"{prefix}get", "1")
        _check_answers(client, sha, keys, prefix, now)

        def take(slot: str, mode: str) -> float:
            return _redis_benchmark(
                url, requests, "EVALSHA", sha, "2", keys[slot], keys["user"],
                prefix, str(now), "__rand_int__", mode, str(USER_ID),
            )  # fmt: skip

        phases = [
            Phase("get", _redis_benchmark(url, requests, "GET", f"{prefix}get")),
            Phase("sold_out", take("full", "take")),
            Phase("peek", take("open", "peek")),
            Phase("take", take("open", "take")),
        ]
        free = int(client.hget(keys["open"], "free"))
        taken = 10 * PROFILES - free
        marked = client.scard(f"{prefix}p1")
        if taken != marked:
            raise BenchmarkError(
                f"the take phase took {taken} seats but marked {marked} profiles"
            )
        return phases, taken
    finally:
        for key in client.scan_iter(match=f"{prefix}*", count=1000):
            client.delete(key)
