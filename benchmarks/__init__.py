"""Benchmarks of the platform, kept out of the domain apps (manage.py rush_benchmark)."""
