"""The doctor's online consult pages in the workspace (/workspace/consults/).

They live in consult, not beside the session pages in records.workspace: they need only
consult and what lies below it (hospitals, accounts), and records and consult are
siblings that may not import each other. The shell (templates/workspace/base.html, its
stylesheet) is shared, so a doctor moves between the queue and the consults as one
workspace. No rule lives here: writes are the consult services the REST API calls, reads
consult.selectors (a consult not addressed to the doctor answers 404).
"""
