"""The dashboards: pages, and the charts on each, in the order they are shown.

A chart is one entry in CHARTS: its page, its title, how it is drawn and the selector
that reads its table (one or two GROUP BY queries). To add a chart, write its selector
and add one entry; it is drawn, and downloadable as CSV, with nothing else to change.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from analytics.charts import consults, money, noshow, utilisation, volume, waitlist
from analytics.charts.scope import DashboardScope
from analytics.charts.table import Table


@dataclass(frozen=True)
class Page:
    slug: str
    title: str | Promise


@dataclass(frozen=True)
class Chart:
    page: str  # a Page's slug
    slug: str  # unique over every page: the CSV's name
    title: str | Promise
    kind: str  # Chart.js type: "line" or "bar"
    read: Callable[[DashboardScope], Table]
    # The columns drawn (the others are in the CSV only); the text and date columns
    # make each point's label.
    plotted: tuple[str, ...]
    horizontal: bool = False  # bars drawn across (long lists of names)
    percent: bool = False  # the drawn values are percentages


PAGES: tuple[Page, ...] = (
    Page("volume", _("Bookings")),
    Page("utilisation", _("Utilisation")),
    Page("noshow", _("No-shows")),
    Page("revenue", _("Revenue and refunds")),
    Page("waitlist", _("Waitlist")),
)

CHARTS: tuple[Chart, ...] = (
    Chart(
        "volume",
        "bookings-per-day",
        _("Bookings per day"),
        "line",
        volume.bookings_per_day,
        plotted=("bookings", "confirmed", "cancelled"),
    ),
    Chart(
        "volume",
        "consults-per-day",
        _("Online consults per day"),
        "line",
        consults.consults_per_day,
        plotted=("asked", "answered", "cancelled"),
    ),
    Chart(
        "utilisation",
        "utilisation-by-department",
        _("Utilisation by department"),
        "bar",
        utilisation.utilisation_by_department,
        plotted=("booked_rate", "seen_rate"),
        percent=True,
    ),
    Chart(
        "utilisation",
        "utilisation-by-doctor",
        _("Utilisation by doctor"),
        "bar",
        utilisation.utilisation_by_doctor,
        plotted=("booked_rate", "seen_rate"),
        horizontal=True,
        percent=True,
    ),
    Chart(
        "noshow",
        "noshow-by-week",
        _("No-show rate by week"),
        "line",
        noshow.noshow_by_week,
        plotted=("rate",),
        percent=True,
    ),
    Chart(
        "noshow",
        "noshow-by-risk-band",
        _("No-show rate by risk band"),
        "bar",
        noshow.noshow_by_risk_band,
        plotted=("rate",),
        percent=True,
    ),
    Chart(
        "revenue",
        "revenue-per-day",
        _("Payments and refunds per day (yuan)"),
        "line",
        money.revenue_per_day,
        plotted=("paid", "refunded", "net"),
    ),
    Chart(
        "waitlist",
        "waitlist-conversions",
        _("Waitlist conversions"),
        "bar",
        waitlist.waitlist_funnel,
        plotted=("count",),
    ),
)


def page_get(slug: str) -> Page | None:
    return next((page for page in PAGES if page.slug == slug), None)


def charts_on(page: Page) -> list[Chart]:
    return [chart for chart in CHARTS if chart.page == page.slug]


def chart_get(page: Page, slug: str) -> Chart | None:
    return next((chart for chart in charts_on(page) if chart.slug == slug), None)
