"""The URL map: pages per app, one REST API under /api/, admin, health."""

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from openmined import views

api_patterns = [
    path("", include("accounts.api_urls")),
    path("", include("ledger.api_urls")),
    path("", include("capsule.api_urls")),
    path("", include("sonar_ui.api_urls")),
    path("", include("mine_ui.api_urls")),
    path("", include("stats.api_urls")),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves its start-up script as a file: the CSP allows no inline script.
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="api-docs"),
]

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("accounts/", include("accounts.urls")),
    path("sonar/", include("sonar_ui.urls")),
    path("mine/", include("mine_ui.urls")),
    path("stats/", include("stats.urls")),
    path("ledger/", include("ledger.urls")),
    path("capsule/", include("capsule.urls")),
    path("api/", include(api_patterns)),
]

admin.site.site_header = "OpenMined Sonar operations"
admin.site.site_title = "Sonar admin"

handler404 = "openmined.views.not_found"
handler500 = "openmined.views.server_error"
