"""The no-show and late-cancel ledger (爽约管理).

rules.py: a person's current restriction at a hospital and the booking refusal it gives
(checked by seat_rules on every patient booking path and by the ticket writer's batch);
services.py: entries written when a no-show is marked or a late cancel happens, appeals
filed and decided; apis.py: the patient's endpoints.
"""
