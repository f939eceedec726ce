"""Keep every existing DRF token working: store its sha256 as a named ApiToken, drop the plaintext."""

import hashlib
from datetime import timedelta

from django.conf import settings
from django.db import migrations


def move_tokens(apps, schema_editor):
    Token = apps.get_model("authtoken", "Token")
    ApiToken = apps.get_model("accounts", "ApiToken")
    ttl = timedelta(hours=settings.API_TOKEN_TTL_HOURS)
    for token in Token.objects.all():
        ApiToken.objects.create(
            user_id=token.user_id,
            name="password login",
            prefix=token.key[:8],
            key_sha256=hashlib.sha256(token.key.encode()).hexdigest(),
            created_at=token.created,
            expires_at=token.created + ttl,
        )
    # A plaintext secret at rest is what the hashed model removes.
    Token.objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("accounts", "0003_api_tokens"), ("authtoken", "0004_alter_tokenproxy_options")]
    operations = [migrations.RunPython(move_tokens, migrations.RunPython.noop)]
