"""A discrete-event simulation of one clinic session under three booking policies.

engine.py plays a session out (heapq events, c doctors, one queue); policies.py says who
comes and in which order they are seen; noshow.py which booked patients come, without and
with the no-show model in use; runner.py runs seeds, grids and the release comparison;
results.py holds the figures with their 95 % intervals.
"""
