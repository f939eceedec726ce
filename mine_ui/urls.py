"""Pages of mine_ui."""

from django.urls import path

from mine_ui import import_views, views

app_name = "mine_ui"
urlpatterns = [
    path("", views.index, name="index"),
    path("new/", views.create, name="create"),
    path("<int:mine_id>/", views.detail, name="detail"),
    path("<int:mine_id>/campaigns/", views.campaigns, name="campaigns"),
    path("<int:mine_id>/policy/", views.policy, name="policy"),
    path("<int:mine_id>/budget/", views.budget, name="budget"),
    path("<int:mine_id>/pause/", views.pause, name="pause"),
    path("<int:mine_id>/run/", views.run, name="run"),
    path("<int:mine_id>/import/", import_views.upload, name="import"),
    path("<int:mine_id>/import/review/", import_views.review, name="import-review"),
    path("datasets/<int:dataset_id>/", views.dataset, name="dataset"),
]
