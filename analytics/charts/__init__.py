"""The admin dashboards' data: one selector per chart, each aggregated in the database.

`scope.py` holds what every chart is read for (a hospital or all, and a range of local
days); `registry.py` lists the pages and their charts. Each chart's rows come from one or
two GROUP BY queries, whatever the amount of data, so a page costs a fixed number of
queries.
"""
