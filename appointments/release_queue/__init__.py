"""The release queue for hot sessions (排队放号); ARCHITECTURE.md, "The release queue".

schedule.py: the fair draw and the plan (pure, shared with the simulation)
keys.py, scripts.py, store.py: the queue on the stock's Redis (Lua, atomic)
place.py: what a patient is told (state, wait, when to ask again)
services.py: join, place, leave, the draw; gate.py: the database path's check
apis.py: the patients' API; upkeep.py: the minute job (auto-marking, demand)
simulation/: 20,000 patients with and without the queue (manage.py release_queue_simulate)
"""
