"""Turn domain errors raised by page views into proper 4xx pages (never a 500)."""

from django.conf import settings
from django.shortcuts import render
from django.utils import translation
from django.utils.cache import patch_vary_headers

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


class LanguageMiddleware:
    """Pages: zh-hans unless the user picked another language (cookie set by /i18n/setlang/).

    Django's LocaleMiddleware would follow the browser's Accept-Language, so an
    English-language browser in a Chinese plant would get English by default.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        language = (
            self.api_language(request) if request.path.startswith("/api/") else self.page_language(request)
        )
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        patch_vary_headers(response, ("Cookie", "Accept-Language"))
        return response

    @staticmethod
    def page_language(request) -> str:
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        supported = {code for code, _name in settings.LANGUAGES}
        return chosen if chosen in supported else settings.LANGUAGE_CODE

    @staticmethod
    def api_language(request) -> str:
        """API messages are English for machines, Chinese when the client asks for it."""
        wanted = request.headers.get("Accept-Language", "").lower()
        return "zh-hans" if wanted.startswith("zh") else "en"
