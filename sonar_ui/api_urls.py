"""REST API routes of campaigns, gradients and payouts."""

from django.urls import path

from sonar_ui import api, api_events

app_name = "sonar_ui_api"
urlpatterns = [
    path("campaigns/", api.CampaignListCreateApi.as_view(), name="campaigns"),
    path("campaigns/<int:campaign_id>/", api.CampaignDetailApi.as_view(), name="campaign"),
    path(
        "campaigns/<int:campaign_id>/validation-data/",
        api.ValidationDataUploadApi.as_view(),
        name="validation-data",
    ),
    path("campaigns/<int:campaign_id>/launch/", api.CampaignLaunchApi.as_view(), name="launch"),
    path("campaigns/<int:campaign_id>/close/", api.CampaignCloseApi.as_view(), name="close"),
    path("campaigns/<int:campaign_id>/model/", api.CampaignModelApi.as_view(), name="model"),
    path(
        "campaigns/<int:campaign_id>/gradients/",
        api.GradientListSubmitApi.as_view(),
        name="gradients",
    ),
    path("campaigns/<int:campaign_id>/versions/", api.VersionListApi.as_view(), name="versions"),
    path("campaigns/<int:campaign_id>/payouts/", api.PayoutListApi.as_view(), name="payouts"),
    path(
        "campaigns/<int:campaign_id>/events/", api_events.CampaignEventsApi.as_view(), name="events"
    ),
    path("campaigns/<int:campaign_id>/result/", api.CampaignResultApi.as_view(), name="result"),
    path("gradients/<int:gradient_id>/", api.GradientDetailApi.as_view(), name="gradient"),
]
