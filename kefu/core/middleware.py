"""Turn domain errors raised by page views into proper 4xx pages (never a 500)."""

from django.shortcuts import render

from .errors import KefuError


class KefuErrorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, KefuError) or request.path.startswith("/api/"):
            return None
        return render(request, "core/error.html", {"error": exception}, status=exception.status)
