"""The cache every process shares: Redis from CACHE_URL/REDIS_URL, else files under var/."""

from __future__ import annotations

from tests.platform.test_settings import run_settings

PRINT_CACHE = "from django.conf import settings; print(settings.CACHES['default']['BACKEND'])"


def test_without_a_cache_url_the_cache_is_files_every_process_sees(tmp_path):
    result = run_settings({"SONAR_VAR_DIR": str(tmp_path)}, "shell", "-c", PRINT_CACHE)
    assert result.returncode == 0, result.stderr
    backend = result.stdout.strip().splitlines()[-1]
    assert backend == "django.core.cache.backends.filebased.FileBasedCache"


def test_redis_url_selects_the_redis_cache(tmp_path):
    env = {"SONAR_VAR_DIR": str(tmp_path), "REDIS_URL": "redis://127.0.0.1:6379/4"}
    result = run_settings(env, "shell", "-c", PRINT_CACHE)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "django.core.cache.backends.redis.RedisCache"


def test_a_cache_url_that_is_not_redis_names_the_variable(tmp_path):
    env = {"SONAR_VAR_DIR": str(tmp_path), "CACHE_URL": "memcached://127.0.0.1:11211"}
    result = run_settings(env, "check")
    assert result.returncode != 0
    assert "CACHE_URL 'memcached://127.0.0.1:11211' is not a Redis URL" in result.stderr
