"""Pages of Sonar, the data scientist's side."""

from django.urls import path

from sonar_ui import views

app_name = "sonar_ui"
urlpatterns = [
    path("", views.index, name="index"),
    path("campaigns/new/", views.campaign_new, name="new"),
    path("campaigns/<int:campaign_id>/", views.campaign_detail, name="detail"),
    path("campaigns/<int:campaign_id>/launch/", views.campaign_launch, name="launch"),
    path("campaigns/<int:campaign_id>/close/", views.campaign_close, name="close"),
]
