"""REST API routes of stats."""

from django.urls import path

from stats.api import StatsApi

app_name = "stats_api"
urlpatterns = [path("stats/", StatsApi.as_view(), name="stats")]
