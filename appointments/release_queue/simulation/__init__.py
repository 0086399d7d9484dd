"""The release queue's acceptance simulation (manage.py release_queue_simulate).

20,000 patients, a few of them scripts firing 20 requests a second, want seats of hot
sessions that release together. The same patients book twice on a virtual clock, each time
on the real Lua scripts on a real Redis (a namespace of the run's own, dropped after):

- without the queue (today): everyone fires the stock's TAKE from the release on;
- with the queue: the waiting room, the fair draw, admission by STATUS, booking with a pass.

params.py: the model's parameters; patients.py: who the patients are and how they act;
layout.py: the stock's keys written for a run, and the run's namespace;
calls.py: the scripts in pipelines, timed; without_queue.py, with_queue.py: the two runs;
runner.py: seeds, shares and the throughput measurement. docs/release_queue_simulation.md
explains the model and the figures.
"""
