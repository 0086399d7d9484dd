"""The WebSocket client side of a run: every consult's patient and doctor sockets open at
once, then each consult talks (patient and doctor in turn), all consults concurrently.

A message's delivery latency is from the sender's `send` frame to the other party's socket
receiving it as a `message` frame: the whole path (frame in, message_send and its commit,
the frame published after commit through the channel layer, out to the other socket).
"""

import asyncio
import json
import time
from dataclasses import dataclass, field

import websockets

from benchmarks.consult_ws.fixtures import Pair

CONNECT_CONCURRENCY = 50


@dataclass
class Endpoint:
    ws: websockets.ClientConnection
    # message text -> future resolved with the instant this socket received it
    waiting: dict[str, asyncio.Future] = field(default_factory=dict)
    errors: int = 0

    async def read(self) -> None:
        async for raw in self.ws:
            frame = json.loads(raw)
            if frame["type"] == "message":
                future = self.waiting.pop(frame["message"]["text"], None)
                if future is not None and not future.done():
                    future.set_result(time.perf_counter())
            elif frame["type"] == "error":
                self.errors += 1


async def _open(url: str, token: str, gate: asyncio.Semaphore) -> Endpoint:
    async with gate:
        ws = await websockets.connect(
            url,
            additional_headers={"Authorization": f"Bearer {token}"},
            open_timeout=60,
            max_queue=None,
        )
        frame = json.loads(await asyncio.wait_for(ws.recv(), timeout=60))
        if frame != {"type": "ready"}:
            raise RuntimeError(f"expected ready, got {frame}")
        return Endpoint(ws)


async def _talk(
    sides: tuple[Endpoint, Endpoint], messages: int, timeout: float, tag: str
) -> tuple[list[float], int]:
    latencies, lost = [], 0
    for number in range(messages):
        sender, receiver = sides[number % 2], sides[1 - number % 2]
        text = f"{tag}-{number}"
        arrived = asyncio.get_running_loop().create_future()
        receiver.waiting[text] = arrived
        began = time.perf_counter()
        await sender.ws.send(json.dumps({"type": "send", "text": text}))
        try:
            latencies.append(await asyncio.wait_for(arrived, timeout) - began)
        except TimeoutError:
            receiver.waiting.pop(text, None)
            lost += 1
    return latencies, lost


async def converse(
    *, port: int, pairs: list[Pair], messages: int, timeout: float
) -> dict:
    """Open 2 sockets per consult, run the conversations, close; the figures."""
    gate = asyncio.Semaphore(CONNECT_CONCURRENCY)
    began = time.perf_counter()
    opened = await asyncio.gather(
        *(
            _open(f"ws://127.0.0.1:{port}/ws/consult/{pair.consult_id}/", token, gate)
            for pair in pairs
            for token in (pair.patient_token, pair.doctor_token)
        )
    )
    connect_seconds = time.perf_counter() - began
    readers = [asyncio.create_task(endpoint.read()) for endpoint in opened]
    sides = [(opened[2 * i], opened[2 * i + 1]) for i in range(len(pairs))]
    began = time.perf_counter()
    results = await asyncio.gather(
        *(
            _talk(side, messages, timeout, str(pair.consult_id))
            for side, pair in zip(sides, pairs, strict=True)
        )
    )
    seconds = time.perf_counter() - began
    for endpoint in opened:
        await endpoint.ws.close()
    await asyncio.gather(*readers, return_exceptions=True)
    latencies = sorted(value for result in results for value in result[0])
    return {
        "sockets": len(opened),
        "connect_seconds": connect_seconds,
        "seconds": seconds,
        "sent": len(pairs) * messages,
        "delivered": len(latencies),
        "lost": sum(result[1] for result in results),
        "errors": sum(endpoint.errors for endpoint in opened),
        "per_second": len(latencies) / seconds if seconds else 0.0,
        "p50_ms": _percentile(latencies, 50) * 1000,
        "p99_ms": _percentile(latencies, 99) * 1000,
    }


def _percentile(sorted_values: list[float], percent: int) -> float:
    if not sorted_values:
        return 0.0
    index = min(len(sorted_values) - 1, round(percent / 100 * (len(sorted_values) - 1)))
    return sorted_values[index]
