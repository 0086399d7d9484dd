"""The plain Django JSON ceiling: the fastest answer the app's stack gives, for comparison.

A plain Django view (no DRF, no database, no authentication) answering a small JSON body
with JsonResponse. Served by the rush benchmark's own server only (benchmarks/rush/urls.py),
behind the project's MIDDLEWARE as configured, so the rush phases can be read against
what any request of this stack costs at least.
"""

from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_GET


@require_GET
def json_ceiling(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})
