"""The wrk driver: its output read, its request file, its absence, and rotate.lua run by the
real wrk against a small local server that records who sent what (when wrk is installed)."""

import json
import shutil
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.management.base import CommandError

from benchmarks.rush import wrk
from benchmarks.rush.wrk import (
    WrkRequest,
    requests_file_write,
    wrk_output_parse,
    wrk_run,
)

# Captured from `wrk --latency` with rotate.lua (the server was stopped halfway through).
CAPTURED = """\
Running 3s test @ http://127.0.0.1:18766
  2 threads and 4 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency    43.05ms    9.57ms  48.15ms   94.29%
    Req/Sec    43.75     10.40    60.00     71.88%
  Latency Distribution
     50%   44.00ms
     75%   47.93ms
     90%   47.99ms
     99%   48.11ms
  140 requests in 3.09s, 29.99KB read
  Socket errors: connect 0, read 4, write 137159, timeout 0
  Non-2xx or 3xx responses: 140
Requests/sec:     45.30
Transfer/sec:      9.70KB
rush-wrk: expected=93 unexpected=47 statuses=409:93,500:47 p50_us=44001 p99_us=48113
"""

# Captured from a clean run of rotate.lua against a server that answers 40 requests at once
# and the 41st after 1.2 s (wrk prints "1.18s " with a trailing space).
CAPTURED_CLEAN = """\
Running 3s test @ http://127.0.0.1:18767
  2 threads and 8 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency   266.23ms  380.30ms   1.20s    79.73%
    Req/Sec   524.12    559.76     1.61k    87.50%
  Latency Distribution
     50%  572.00us
     75%  514.58ms
     90%  936.64ms
     99%    1.18s\x20
  914 requests in 3.01s, 142.81KB read
Requests/sec:    303.79
Transfer/sec:     47.47KB
rush-wrk: expected=914 unexpected=0 statuses=200:914 p50_us=572 p99_us=1177771
"""


def test_the_parser_reads_rates_percentiles_statuses_and_socket_errors():
    # when
    figures = wrk_output_parse(CAPTURED)

    # then
    assert figures["requests"] == 140
    assert figures["seconds"] == 3.09
    assert figures["requests_per_second"] == 45.30
    assert (figures["p50_ms"], figures["p75_ms"], figures["p90_ms"]) == (
        44.0,
        47.93,
        47.99,
    )
    assert figures["p99_ms"] == 48.11
    assert figures["expected"] == 93
    assert figures["unexpected"] == 47
    assert figures["statuses"] == {"409": 93, "500": 47}
    assert figures["non_2xx"] == 140
    assert figures["socket_errors"] == {
        "connect": 0,
        "read": 4,
        "write": 137159,
        "timeout": 0,
    }
    assert figures["errors"] == 47 + 4 + 137159


def test_the_parser_converts_every_time_unit_to_milliseconds():
    # when
    figures = wrk_output_parse(CAPTURED_CLEAN)

    # then
    assert figures["p50_ms"] == 0.572
    assert figures["p75_ms"] == 514.58
    assert figures["p99_ms"] == 1180.0
    assert figures["requests"] == 914
    assert figures["requests_per_second"] == 303.79
    assert figures["statuses"] == {"200": 914}
    assert figures["socket_errors"] == {
        "connect": 0,
        "read": 0,
        "write": 0,
        "timeout": 0,
    }
    assert figures["non_2xx"] == 0
    assert figures["errors"] == 0


@pytest.mark.parametrize(
    "text",
    [
        "",
        CAPTURED.replace("rush-wrk:", "other:"),  # without rotate.lua's line
        CAPTURED.replace("Requests/sec:", "Requests:"),
    ],
)
def test_the_parser_refuses_what_is_not_a_finished_run(text):
    with pytest.raises(ValueError, match="not a finished wrk run"):
        wrk_output_parse(text)


def test_the_request_file_has_one_request_a_line_with_tabs(tmp_path):
    # given
    path = tmp_path / "r.requests"

    # when
    requests_file_write(
        path,
        [
            WrkRequest("GET", "/api/v1/hospitals/"),
            WrkRequest("POST", "/book/", "tok", b'{"slot_id": 1}'),
        ],
    )

    # then
    assert path.read_text() == (
        "GET\t/api/v1/hospitals/\t\t\nPOST\t/book/\ttok\t" + '{"slot_id": 1}\n'
    )
    with pytest.raises(ValueError, match="a tab or a newline"):
        requests_file_write(path, [WrkRequest("POST", "/b/", "t", b'{"a":\n1}')])


def test_without_wrk_the_benchmark_names_the_command_that_installs_it(monkeypatch):
    # given
    monkeypatch.setattr(wrk.shutil, "which", lambda name: None)

    # when
    with pytest.raises(CommandError) as excinfo:
        wrk.wrk_command()

    # then
    assert "scripts/system_packages.sh --for-bench" in str(excinfo.value)


class _Recorder(BaseHTTPRequestHandler):
    """409 slot_full to a booking of slot 1, 500 to any other; records the tokens seen."""

    protocol_version = "HTTP/1.1"
    seen: Counter

    def do_POST(self) -> None:
        data = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.seen[(self.headers["Authorization"], data["profile_id"])] += 1
        out = json.dumps({"error": {"code": "slot_full", "message": "-"}}).encode()
        self.send_response(409 if data["slot_id"] == 1 else 500)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)

    def log_message(self, *args) -> None:
        pass


@pytest.mark.skipif(shutil.which("wrk") is None, reason="needs wrk (--for-bench)")
def test_rotate_lua_sends_every_patients_request_and_counts_the_answers(tmp_path):
    # given: 5 patients at slot 1 (refused as expected) and 1 at slot 2 (an error)
    requests = [
        WrkRequest(
            "POST",
            "/book/",
            f"token-{n}",
            json.dumps({"slot_id": 1 if n < 5 else 2, "profile_id": n}).encode(),
        )
        for n in range(6)
    ]
    handler = type("Handler", (_Recorder,), {"seen": Counter()})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()

    # when
    try:
        figures = wrk_run(
            port=server.server_address[1],
            requests=requests,
            seconds=1,
            connections=2,
            threads=2,
            expect_status=409,
            expect_code="slot_full",
            timeout=5,
            workdir=tmp_path,
            name="t",
        )
    finally:
        server.shutdown()
        server.server_close()

    # then: each patient's token went with its own body
    assert set(handler.seen) == {(f"Bearer token-{n}", n) for n in range(6)}
    answered = sum(figures["statuses"].values())
    assert figures["statuses"]["409"] == figures["expected"]
    assert figures["statuses"]["500"] == figures["unexpected"] > 0
    assert answered == figures["requests"] <= sum(handler.seen.values())
    assert figures["errors"] >= figures["unexpected"]
    assert figures["client"]["name"] == "wrk, 2 threads"
    assert figures["client"]["cpu_seconds"] > 0
