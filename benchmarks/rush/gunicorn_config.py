"""The rush benchmark's gunicorn config file: empty on purpose.

Every setting of the benchmark's server is a flag in server.py. Naming this file keeps the
project's gunicorn.conf.py (production's access log, worker recycling, metrics hook), which
gunicorn would otherwise read from the working directory, out of the benchmark's figures.
"""
