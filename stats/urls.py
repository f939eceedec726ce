"""Pages of stats."""

from django.urls import path

from stats import views

app_name = "stats"
urlpatterns = [
    path("", views.index, name="index"),
    path("series.csv", views.series_csv, name="series-csv"),
    path("series.json", views.series_json, name="series-json"),
]
