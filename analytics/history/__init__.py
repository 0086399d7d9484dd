"""Importing visit history from outside files (the public no-show data set, a generic CSV)."""
