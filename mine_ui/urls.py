"""Pages of mine_ui."""

from django.urls import path

from mine_ui import views

app_name = "mine_ui"
urlpatterns = [
    path("", views.index, name="index"),
    path("new/", views.create, name="create"),
    path("<int:mine_id>/policy/", views.policy, name="policy"),
    path("datasets/<int:dataset_id>/", views.dataset, name="dataset"),
]
