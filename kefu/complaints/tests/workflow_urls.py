"""URLconf of the workflow tests: the project's URLs plus the workflow router and pages mounted
the way the lead mounts them (see the report of issue 4), so the tests do not depend on that edit."""

from django.urls import include, path
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, ValidationError

from kefu import api as main
from kefu.complaints.api_workflow import router
from kefu.core.auth import BearerAuth
from kefu.core.errors import KefuError
from kefu.urls import urlpatterns as project

api = NinjaAPI(
    title="kefu workflow (tests)", version="1-test", auth=BearerAuth(), urls_namespace="api-v1-wf-test"
)
api.add_exception_handler(ValidationError, main.validation_error)
api.add_exception_handler(KefuError, main.kefu_error)
api.add_exception_handler(AuthenticationError, main.auth_error)
api.add_router("", router, url_name_prefix="wftest")

urlpatterns = [
    path("api/v1/", api.urls),
    path("complaints/work/", include("kefu.complaints.urls_workflow")),
    *project,
]
