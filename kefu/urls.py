from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path

from kefu.api import api

urlpatterns = [
    path("", include("kefu.core.urls")),
    path("customers/", include("kefu.customers.urls")),
    path("work/", include("kefu.flow.urls")),
    path("complaints/", include("kefu.complaints.urls")),
    path("capa/", include("kefu.capa.urls")),
    path("audits/", include("kefu.audits.urls")),
    path("requirements/", include("kefu.requirements.urls")),
    path("surveys/", include("kefu.surveys.urls")),
    path("public/", include("kefu.complaints.public_urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
]
if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
