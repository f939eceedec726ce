"""Pages of Sonar, the data scientist's side."""

from django.urls import path

from sonar_ui import views, wallet_views

app_name = "sonar_ui"
urlpatterns = [
    path("", views.index, name="index"),
    path("campaigns/new/", views.campaign_new, name="new"),
    path("campaigns/new/<int:upload_id>/", views.campaign_new_columns, name="new_columns"),
    path("campaigns/<int:campaign_id>/", views.campaign_detail, name="detail"),
    path("campaigns/<int:campaign_id>/about/", views.campaign_public, name="public"),
    path("campaigns/<int:campaign_id>/edit/", views.campaign_edit, name="edit"),
    path("campaigns/<int:campaign_id>/delete/", views.campaign_delete, name="delete"),
    path("campaigns/<int:campaign_id>/launch/", views.campaign_launch, name="launch"),
    path("campaigns/<int:campaign_id>/close/", views.campaign_close, name="close"),
    path("wallet/", wallet_views.wallet, name="wallet"),
    path("wallet/test-funds/", wallet_views.wallet_test_funds, name="test_funds"),
]
