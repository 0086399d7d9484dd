"""The patient portal (H5): server-rendered pages for patients outside WeChat.

It lives in config, the top layer, because its pages call the services and selectors of
several apps (accounts, hospitals, scheduling, appointments, billing, consult). It holds
no rule of its own: every write is the service the REST API calls, every read a selector.
"""
