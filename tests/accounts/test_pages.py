"""Sign up, log in, log out and change the password as pages."""

from __future__ import annotations

from django.contrib.auth.models import User

from tests.conftest import PASSWORD


def test_signing_up_creates_a_person_with_both_roles_and_signs_them_in(client, db):
    response = client.post(
        "/accounts/signup/",
        {
            "username": "dana",
            "email": "dana@example.org",
            "password1": PASSWORD,
            "password2": PASSWORD,
            "roles": ["data scientist", "miner"],
        },
        follow=True,
    )
    assert response.status_code == 200
    user = User.objects.get(username="dana")
    assert set(user.groups.values_list("name", flat=True)) == {"data scientist", "miner"}
    assert response.context["user"] == user


def test_signing_up_without_a_role_says_so_and_creates_nothing(client, db):
    response = client.post(
        "/accounts/signup/",
        {
            "username": "dana",
            "email": "d@example.org",
            "password1": PASSWORD,
            "password2": PASSWORD,
        },
    )
    assert "Choose at least one role." in response.content.decode()
    assert not User.objects.filter(username="dana").exists()


def test_a_wrong_password_on_the_login_page_shows_an_error(client, alice):
    response = client.post("/accounts/login/", {"username": "alice", "password": "wrong"})
    assert response.status_code == 200
    assert "Please enter a correct username and password" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_logging_in_and_out(client, alice):
    client.post("/accounts/login/", {"username": "alice", "password": PASSWORD})
    assert client.session["_auth_user_id"] == str(alice.pk)
    client.post("/accounts/logout/")
    assert "_auth_user_id" not in client.session


def test_changing_the_password(client, alice):
    client.login(username="alice", password=PASSWORD)
    new = "a much newer passphrase 42"
    client.post(
        "/accounts/password/",
        {"old_password": PASSWORD, "new_password1": new, "new_password2": new},
    )
    alice.refresh_from_db()
    assert alice.check_password(new)


def test_the_landing_page_explains_the_platform(client, db):
    page = client.get("/").content.decode()
    assert "encrypted under Paillier" in page
    assert 'href="/accounts/login/"' in page
