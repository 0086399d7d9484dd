"""The rush benchmark: a crowd of patients booking the few seats of one hot session at once.

    python manage.py rush_benchmark            # or: make bench

What it does, in one run:
1. Builds a hospital, a doctor and two identical sessions released in the past, each with K
   seats (--seats, 30) spread over a few 30-minute slots (--slots, 6), and 2 x N patients
   (--patients, 2000), one user and one patient profile each (encrypted like real ones), with
   one JWT access token per user. One session and one half of the patients per workload,
   so the second workload starts from the same state as the first.
2. Starts the app under gunicorn on 127.0.0.1 (a free port, --workers x --threads gthread
   workers) with DJANGO_DEBUG=false, fresh secret and field keys, and the naive baseline
   endpoint turned on (BENCHMARK_BASELINE_ENDPOINT=true), and waits for /health/.
3. Fires the bookings over HTTP at concurrency C (--concurrency, 64): C threads, each with
   its own keep-alive connection, first warm up (one GET of the appointment list each), then
   start together. Each patient sends exactly one booking, for slot (i mod slots) of the
   session, so every slot gets the same rush; once the K seats are gone the rest are refused
   with 409 slot_full. A workload stops when its N requests are done or after --max-seconds
   (requests not sent by then are counted as "not sent"); each request has a timeout.
   The same workload runs first against the real endpoint (POST /api/v1/appointments/book/,
   "optimized") and then against the naive one (POST /api/v1/benchmarks/book-naive/,
   "baseline": SELECT ... FOR UPDATE, check in Python, save; see benchmarks/rush/baseline.py);
   --baseline-first swaps the order, to see how much the order itself weighs.
4. Stops gunicorn, audits both sessions in the database (overbooked seats, duplicate
   bookings, queue numbers held twice, counters that disagree with the rows), prints the
   figures and the optimized/baseline ratios, and deletes what it created.

The exit status is 1 when a session is overbooked or holds a duplicate booking (either
workload), or when the run itself fails. Other errors (500s, timeouts) are printed, with the
exceptions found in the server log, but do not fail the run: they are figures to report.

Database: with DATABASE_URL (or --database-url) set to MySQL/MariaDB, that database is used
(migrated first; the benchmark's rows are deleted at the end unless --keep-data). Without
one, a temporary SQLite file is created and migrated, so the development db.sqlite3 is never
touched. The command re-runs itself in a child process with the benchmark's environment, so
the data it writes, the tokens it signs and the server all share one configuration.

Modules: fixtures (the data), server (gunicorn), load (the HTTP client), audit (the
database after a rush), report (the figures), runner (the parent and the child process),
baseline and urls (the naive endpoint). The command itself is
benchmarks/management/commands/rush_benchmark.py.
"""
