"""The doctors' workspace pages (/workspace/): server-rendered pages for the clinic PC.

They sit in records, the lowest layer that may import both appointments (the queue) and
records (the visit record); they call the same selectors, access rules and services as
the workspace and records APIs, and re-implement none of them.
"""
