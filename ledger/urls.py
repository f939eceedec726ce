"""Pages of the ledger explorer."""

from django.urls import path

from ledger import views

app_name = "ledger"
urlpatterns = [
    path("", views.index, name="index"),
    path("entries/<int:seq>/", views.entry_detail, name="entry"),
    path("checkpoints/", views.checkpoints, name="checkpoints"),
]
