"""Taking and dropping one's own roles, over the API and on the profile page."""

from __future__ import annotations

from accounts.selectors import user_is_data_scientist, user_is_miner
from tests.conftest import PASSWORD


def test_bob_takes_the_data_scientist_role_and_may_then_create_a_campaign(api_as, bob):
    client = api_as(bob)
    response = client.post("/api/me/roles/", {"role": "data scientist"}, format="json")
    assert response.status_code == 200
    assert response.json()["roles"] == ["data scientist", "miner"]
    assert user_is_data_scientist(user=bob)


def test_alice_drops_the_data_scientist_role(api_as, alice):
    response = api_as(alice).delete("/api/me/roles/", {"role": "data scientist"}, format="json")
    assert response.status_code == 200
    assert response.json()["roles"] == []
    assert not user_is_data_scientist(user=alice)


def test_a_role_can_be_dropped_with_a_query_parameter(api_as, bob):
    response = api_as(bob).delete("/api/me/roles/?role=miner")
    assert response.status_code == 200
    assert not user_is_miner(user=bob)


def test_mallory_cannot_make_herself_an_operator(api_as, mallory):
    response = api_as(mallory).post("/api/me/roles/", {"role": "operator"}, format="json")
    assert response.status_code == 400
    assert response.json()["error"] == "invalid"
    assert "role" in response.json()["detail"]
    mallory.refresh_from_db()
    assert not mallory.is_staff
    assert list(mallory.groups.all()) == []


def test_anonymous_cannot_change_roles(api, db):
    assert api.post("/api/me/roles/", {"role": "miner"}, format="json").status_code == 401


def test_roles_are_changed_on_the_profile_page(client, bob):
    assert client.login(username="bob", password=PASSWORD)
    page = client.get("/accounts/profile/").content.decode()
    assert "Save roles" in page
    response = client.post("/accounts/profile/roles/", {"roles": ["data scientist"]})
    assert response.status_code == 302
    assert user_is_data_scientist(user=bob)
    assert not user_is_miner(user=bob)


def test_an_unknown_role_on_the_page_changes_nothing(client, bob):
    assert client.login(username="bob", password=PASSWORD)
    client.post("/accounts/profile/roles/", {"roles": ["operator"]})
    assert user_is_miner(user=bob)
    bob.refresh_from_db()
    assert not bob.is_staff
