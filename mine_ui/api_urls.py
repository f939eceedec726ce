"""REST API routes of mine_ui: /api/mines/..."""

from django.urls import path

from mine_ui import api

app_name = "mine_ui_api"
urlpatterns = [
    path("mines/", api.MineListCreateApi.as_view(), name="mines"),
    path("mines/<int:mine_id>/", api.MineDetailApi.as_view(), name="mine"),
    path("mines/<int:mine_id>/datasets/", api.MineDatasetListApi.as_view(), name="datasets"),
    path("mines/<int:mine_id>/policy/", api.MinePolicyApi.as_view(), name="policy"),
    path("mines/<int:mine_id>/budget/", api.MineBudgetApi.as_view(), name="budget"),
    path(
        "mines/<int:mine_id>/contributions/",
        api.MineContributionListApi.as_view(),
        name="contributions",
    ),
]
