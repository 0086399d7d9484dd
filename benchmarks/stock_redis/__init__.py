"""The seat stock's Redis alone, at the rush (manage.py stock_benchmark; docs/capacity.md).

`redis-benchmark` (it ships with Redis) sends the stock's own TAKE script (EVALSHA, the text
in appointments/stock/scripts.py) against keys laid out as the stock lays them out, in a
namespace of the run's own, and, in the same run, a plain GET as the baseline. Four phases,
50 connections, 16 commands pipelined per connection:

- `get`: GET of a small key, the most a Redis answers on this machine;
- `sold_out`: TAKE on a slot with no free seat (the refusal most rush requests get);
- `peek`: TAKE with "peek" on an open slot (the check ahead of DRF for a winner);
- `take`: TAKE on an open slot with plenty of seats, the profile a random one of 100,000
  the user holds: a seat taken and the profile marked (a repeat is refused as booked).

It prints operations per second per phase, the ratio to `get`, and how many seats the take
phase took, checked against the slot's counter. The namespace's keys are deleted at the end.
"""
