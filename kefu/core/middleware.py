"""Request and response middleware: 4xx pages for domain errors, the language, security headers."""

from django.conf import settings
from django.shortcuts import render
from django.utils import translation
from django.utils.cache import patch_cache_control, patch_vary_headers

from . import net
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


PROTO = "HTTP_X_FORWARDED_PROTO"


class TrustedProxyMiddleware:
    """Drop ``X-Forwarded-Proto`` unless a trusted proxy sent it.

    Django believes ``SECURE_PROXY_SSL_HEADER`` from anybody; when the proxies are
    named by address (KEFU_TRUSTED_PROXIES), a request from elsewhere loses the
    header before SecurityMiddleware and CSRF read it. With a count of proxies the
    peer cannot be told apart: kefu must then be reachable only through them.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        proxies = net.trusted_proxies()
        if proxies.networks and PROTO in request.META:
            peer = net.parse_address(request.META.get("REMOTE_ADDR", ""))
            if peer is None or not proxies.trusts(peer):
                del request.META[PROTO]
        return self.get_response(request)


class SecurityHeadersMiddleware:
    """Content-Security-Policy on every response; no caching of private ones.

    ``Cache-Control: private, no-store`` goes on the pages of a logged-in user
    (attachment downloads and Excel exports among them) and on every API
    response, so that neither a shared proxy nor the browser's cache keeps them.
    Static files never get here (WhiteNoise answers them first, with its own
    far-future caching).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", settings.KEFU_CSP)
        if request.path.startswith("/api/") or self.authenticated(request):
            patch_cache_control(response, private=True, no_store=True)
        return response

    @staticmethod
    def authenticated(request) -> bool:
        user = getattr(request, "user", None)
        return bool(user is not None and user.is_authenticated)
