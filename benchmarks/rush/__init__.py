"""The rush benchmark: what the booking endpoint costs, against what the stack costs at least.

    python manage.py rush_benchmark            # or: make bench (installs wrk when missing)

One run, in order, against the app under gunicorn (127.0.0.1, a free port, --workers x
--threads gthread workers, DJANGO_DEBUG=false, fresh keys, the benchmark's own routes on):
1. Data: a hospital and a doctor with, on different dates, two identical hot sessions (K
   seats, --seats 30, over --slots 6 half-hour slots), two identical large sessions
   (--large-seats 2000 over --large-slots 20 ten-minute slots), and a sold-out session (one
   seat per slot, each booked beforehand through the real service); N patients per hot
   workload (--patients 2000) and M per large one (--large-patients 2000), one user, one
   encrypted profile and one JWT each.
2. Throughput phases, through wrk (--duration 10 s each, after --warmup 1 s, --wrk-threads
   2, --wrk-connections = --concurrency), with rotate.lua: answers per second, p50, p99,
   errors, and wrk's own CPU:
   - ceiling: a plain Django JsonResponse view (benchmarks/rush/ceiling.py), no database,
     behind the project's MIDDLEWARE as served;
   - catalog: GET /api/v1/hospitals/, anonymous;
   - refusals: every hot patient in turn (own JWT, own profile) POSTs appointments/book/ to
     a slot of the sold-out session; 409 slot_full expected, any other answer an error.
3. Booking phases, through the Python client (--concurrency 64 threads with keep-alive
   connections; every answer kept, the client's CPU measured): the hot session sold to N
   patients by the real endpoint and by the naive one (benchmarks/rush/baseline.py), then
   the large session booked once by each of M patients, by both. A 202 answer (a booking
   ticket) is polled afterwards until final (--ticket-seconds 30). Per phase: what each
   patient was told (benchmarks/rush/verdicts.py), the appointments committed (counted in
   the database), accepted bookings per second, the time to sell out.
4. Audit of each booking phase (benchmarks/rush/audit.py): overbooked, duplicates, lost
   (told yes, nothing committed), phantom (committed, told no), still queued. Then the
   report (benchmarks/rush/report.py) and the ratios: refusals/ceiling, catalog/ceiling,
   accepted bookings/s real/naive.
--runs N repeats it all with new data and a new server and prints the median of each
figure. The exit status is 1 when an audit is not clean, in any run, or when the run itself
fails (wrk missing: the message names the command that installs it). Other errors (500s,
timeouts) are printed, with the exceptions found in the server log, as figures.

Database: with DATABASE_URL (or --database-url) set to MySQL/MariaDB, that database is used
(migrated first; each run's rows are deleted at its end unless --keep-data). Without one, a
temporary SQLite file is created and migrated, so the development db.sqlite3 is never
touched. The command re-runs itself in a child process with the benchmark's environment
(benchmarks/child.py), so the data, the tokens and the server share one configuration.

Modules: fixtures and patients (the data), server (gunicorn), wrk and rotate.lua (the
throughput load), client, load and tickets (the booking load), verdicts (what each patient
was told), audit, cpu (the client's CPU), stats (percentiles, medians), phases, report,
runner (the parent and the child process), baseline, ceiling and urls (the benchmark's
routes). The command itself is benchmarks/management/commands/rush_benchmark.py.
"""
