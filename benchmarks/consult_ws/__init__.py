"""The consult WebSocket benchmark: many open consults talking at once through daphne.

    python manage.py consult_ws_benchmark            # or: make bench-ws

What it does, in one run:
1. Builds a hospital, doctors with a free consult offer (20 consults each) and N patients
   (--consults, 200) with one waiting consult each, and access tokens; twice, one set per
   workload, so both start from the same state.
2. Starts config.asgi:application under daphne (one process) on 127.0.0.1 with
   DJANGO_DEBUG=false and fresh keys, with the configured channel layer (CHANNEL_LAYER_URL,
   or REDIS_URL's Redis: pub/sub), opens a patient and a doctor socket per consult (the
   Authorization header, as the mini-program does) and waits for every `ready`.
3. All consults talk at once: in each, patient and doctor send in turn (--messages, 20),
   each message sent after the previous one arrived; the figures are messages delivered per
   second and the p50/p99 delivery latency, from the `send` frame to the other party's socket
   receiving the `message` frame: the socket in, message_send and its commit, the frame
   published after commit through the channel layer, the socket out.
4. The same again with the in-memory channel layer (the baseline: the same server work with
   no layer round trip), then the ratio. Only one daphne process, so the in-memory layer
   reaches every socket; with several processes only Redis would.

Database: DATABASE_URL (or --database-url) for MySQL/MariaDB, whose rows are deleted at the
end; otherwise a temporary SQLite file. The command re-runs itself in a child process with
the benchmark's environment, as the rush benchmark does. The exit status is 1 when a message
was not delivered within --timeout.
"""
