"""The data scientist's pages: new campaign in two steps, edit, delete, launch, list, public."""

from __future__ import annotations

import io

import pytest
from django.test import Client

from sonar_ui import services
from sonar_ui.models import Campaign
from sonar_ui.uploads import ValidationUpload

SMALL_CSV = b"age,smoker,region,risk\n34,yes,north,0.5\n51,no,south,1.25\n29,no,north,0.75\n"


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def upload_file(client: Client, data: bytes = SMALL_CSV, name: str = "risk.csv"):
    handle = io.BytesIO(data)
    handle.name = name
    return client.post("/sonar/campaigns/new/", {"validation_file": handle})


def step_two(**changes) -> dict:
    form = {
        "name": "Risk",
        "description": "",
        "target": "risk",
        "type_0": "int",
        "type_1": "bool",
        "type_2": "category",
        "type_3": "float",
        "algorithm": "linear_regression",
        "bounty": "500.00",
        "target_accuracy": "90",
        "learning_rate": "0.5",
        "min_other_accepted": "0",
    }
    form.update(changes)
    return form


def test_step_one_keeps_the_file_and_step_two_shows_its_columns(alice):
    client = client_for(alice)

    response = upload_file(client)

    upload = ValidationUpload.objects.get(owner=alice)
    assert response.status_code == 302
    assert response["Location"] == f"/sonar/campaigns/new/{upload.id}/"
    page = client.get(response["Location"]).content.decode()
    assert "3 rows, 4 columns" in page
    # The last column is proposed as the target, with an algorithm that fits its type.
    assert 'value="risk" id="id_target_3" required checked' in page
    assert 'value="linear_regression" required id="id_algorithm_0" checked' in page
    assert '<option value="category" selected>category</option>' in page
    assert 'value="0.5"' in page  # hyper-parameters prefilled


def test_an_empty_file_is_flagged_beside_the_file_field(alice):
    response = upload_file(client_for(alice), data=b"")

    assert response.status_code == 200
    assert 'id="id_validation_file_error"' in response.content.decode()
    assert not ValidationUpload.objects.exists()


def test_step_two_saves_the_draft_with_the_chosen_target(alice):
    client = client_for(alice)
    location = upload_file(client)["Location"]

    response = client.post(location, step_two())

    campaign = Campaign.objects.get(owner=alice)
    assert response.status_code == 302
    assert response["Location"] == f"/sonar/campaigns/{campaign.id}/"
    assert campaign.output_schema == [{"name": "risk", "type": "float"}]
    assert campaign.bounty_minor == 50_000
    assert campaign.target_accuracy_ppm == 900_000


def test_a_text_target_is_refused_beside_its_type_and_nothing_is_saved(alice):
    client = client_for(alice)
    location = upload_file(client)["Location"]

    response = client.post(location, step_two(type_3="text"))

    assert response.status_code == 200
    assert "The column to predict must be a number" in response.content.decode()
    assert not Campaign.objects.exists()


def test_a_file_that_does_not_match_shows_the_error_and_creates_no_draft(alice):
    client = client_for(alice)
    location = upload_file(client)["Location"]

    for _ in range(2):  # a retry does not leave a draft behind either
        response = client.post(location, step_two(type_2="float"))
        assert response.status_code == 200
        assert "region" in response.content.decode()
    assert not Campaign.objects.exists()


def test_mallory_gets_404_on_alices_upload_and_nothing_changed(alice, mallory):
    location = upload_file(client_for(alice))["Location"]
    intruder = client_for(mallory)

    assert intruder.get(location).status_code == 404
    assert intruder.post(location, step_two()).status_code == 404
    assert not Campaign.objects.exists()
    assert ValidationUpload.objects.filter(owner=alice).count() == 1


@pytest.fixture
def draft(alice) -> Campaign:
    upload = services.validation_upload_create(owner=alice, filename="r.csv", data=SMALL_CSV)
    return services.campaign_create_from_upload(
        owner=alice,
        upload_id=upload.id,
        target="risk",
        types={},
        name="Risk",
        algorithm="linear_regression",
        bounty_minor=50_000,
    )


def terms(**changes) -> dict:
    form = {
        "name": "Risk, edited",
        "description": "Now with a description.",
        "bounty": "700.00",
        "target_accuracy": "80",
        "learning_rate": "0.25",
        "min_other_accepted": "1",
        "initial_weights": "",
    }
    form.update(changes)
    return form


def test_alice_edits_her_draft_in_the_form(alice, draft):
    client = client_for(alice)
    page = client.get(f"/sonar/campaigns/{draft.id}/edit/").content.decode()
    assert 'value="500.00"' in page  # the form starts from the draft

    response = client.post(f"/sonar/campaigns/{draft.id}/edit/", terms())

    assert response.status_code == 302
    draft.refresh_from_db()
    assert (draft.name, draft.bounty_minor, draft.learning_rate) == ("Risk, edited", 70_000, 0.25)


def test_initial_weights_of_the_wrong_shape_show_beside_the_field(alice, draft):
    response = client_for(alice).post(
        f"/sonar/campaigns/{draft.id}/edit/", terms(initial_weights="[1, 2]")
    )

    assert response.status_code == 200
    assert 'id="id_initial_weights_error"' in response.content.decode()
    draft.refresh_from_db()
    assert draft.name == "Risk"


@pytest.mark.parametrize("action", ["edit", "delete", "launch"])
def test_mallory_gets_404_on_alices_draft_and_nothing_changed(mallory, draft, action):
    intruder = client_for(mallory)
    url = f"/sonar/campaigns/{draft.id}/{action}/"

    assert intruder.get(url).status_code == 404
    assert intruder.post(url, terms(name="Mallory's")).status_code == 404
    draft.refresh_from_db()
    assert (draft.name, draft.status) == ("Risk", "draft")
    assert intruder.get(f"/sonar/campaigns/{draft.id}/").status_code == 404
    assert intruder.get(f"/sonar/campaigns/{draft.id}/about/").status_code == 404


def test_alice_deletes_her_draft_after_confirming(alice, draft):
    client = client_for(alice)
    question = client.get(f"/sonar/campaigns/{draft.id}/delete/").content.decode()
    assert "Delete draft Risk?" in question

    response = client.post(f"/sonar/campaigns/{draft.id}/delete/")

    assert response["Location"] == "/sonar/"
    assert not Campaign.objects.filter(pk=draft.pk).exists()


def test_launch_confirmation_shows_escrow_and_the_wallet_after(alice, draft, fund):
    fund(alice, 80_000)

    page = client_for(alice).get(f"/sonar/campaigns/{draft.id}/launch/").content.decode()

    assert "<strong>500.00 USD</strong>" in page  # into escrow
    assert "<dd>800.00 USD</dd>" in page  # now
    assert "<dd>300.00 USD</dd>" in page  # after
    assert "Launch and escrow 500.00" in page
    assert Campaign.objects.get(pk=draft.pk).status == "draft"  # a GET launches nothing


def test_launch_confirmation_without_enough_money_links_to_a_deposit(alice, draft, fund):
    fund(alice, 20_000)

    page = client_for(alice).get(f"/sonar/campaigns/{draft.id}/launch/").content.decode()

    assert "300.00 USD short" in page
    assert 'href="/sonar/wallet/?amount=300.00">Deposit the difference first' in page
    assert "Launch and escrow" not in page


def test_the_campaign_list_filters_by_status_sorts_and_pages(alice, draft):
    for i in range(25):
        Campaign.objects.create(
            owner=alice,
            name=f"Old {i:02d}",
            input_schema=draft.input_schema,
            output_schema=draft.output_schema,
            algorithm=draft.algorithm,
            n_features=draft.n_features,
            bounty_minor=1_000 + i,
            status="cancelled",
        )
    client = client_for(alice)

    drafts = client.get("/sonar/?status=draft").content.decode()
    assert ">Risk</a>" in drafts and "Old 00" not in drafts

    by_bounty = client.get("/sonar/?status=cancelled&sort=-bounty").content.decode()
    assert by_bounty.index("Old 24") < by_bounty.index("Old 23")
    assert "Page 1 of 2 · 25 in all" in by_bounty
    assert 'href="?status=cancelled&amp;sort=-bounty&amp;page=2"' in by_bounty

    second = client.get("/sonar/?status=cancelled&sort=-bounty&page=2").content.decode()
    assert "Old 04" in second and "Old 05" not in second

    assert "None of your campaigns is open" in client.get("/sonar/?status=open").content.decode()


def make_campaigns(owner, template: Campaign, count: int, status: str = "open") -> None:
    Campaign.objects.bulk_create(
        Campaign(
            owner=owner,
            name=f"Many {i:02d}",
            input_schema=template.input_schema,
            output_schema=template.output_schema,
            algorithm=template.algorithm,
            n_features=template.n_features,
            bounty_minor=1_000,
            status=status,
            start_accuracy_ppm=0,
            best_accuracy_ppm=10_000 * i,
            target_accuracy_ppm=900_000,
        )
        for i in range(count)
    )


def test_the_campaign_list_costs_the_same_queries_for_5_or_40_campaigns(
    alice, draft, django_assert_num_queries
):
    client = client_for(alice)
    make_campaigns(alice, draft, 5)
    client.get("/sonar/")  # the wallet exists from here on
    # session, user, wallet (2), then per table: count and page (open, then alice's).
    for more in (0, 35):
        make_campaigns(alice, draft, more)
        with django_assert_num_queries(8):
            assert client.get("/sonar/").status_code == 200


def test_a_file_over_the_limit_is_refused_before_it_is_read(alice, settings):
    settings.VALIDATION_DATA_MAX_BYTES = 50

    response = upload_file(client_for(alice))

    assert "the limit is 50" in response.content.decode()
    assert not ValidationUpload.objects.exists()
