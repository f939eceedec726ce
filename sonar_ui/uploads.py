"""A validation file between the two steps of "new campaign": kept on the server, per person.

The browser cannot carry a file from one form to the next, and the session cookie must not:
so the file waits here, tied to its uploader, bounded in size, count and age, and is deleted
as soon as the draft it became is saved.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class ValidationUpload(models.Model):
    """An uploaded validation file and the columns inferred from it, awaiting step 2."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="validation_uploads"
    )
    filename = models.CharField(max_length=200)
    adapter = models.CharField(max_length=10)
    data = models.BinaryField()
    size_bytes = models.PositiveIntegerField()
    rows = models.PositiveIntegerField()
    # [{"name", "type", "categories" (distinct values, or null when too many), "example"}]
    columns = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        app_label = "sonar_ui"
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.filename} ({self.size_bytes} bytes) of user {self.owner_id}"
