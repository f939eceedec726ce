"""Import in the browser: upload, schema, column mapping, preview, all rows or none."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from mine_ui.models import Dataset, DatasetRow
from tests.mine_ui.test_pages import login

# The columns are named differently from the campaign's fields, and one is extra.
RENAMED = (
    b"Age,Body mass,Region,Has diabetes,Notes\n"
    b"31,22.5,north,false,first\n45,30.1,south,true,\n52,27.0,north,true,last\n"
)
MAPPING = {
    "field:age": "Age", "field:bmi": "Body mass", "field:region": "Region",
    "field:diabetic": "Has diabetes",
}  # fmt: skip


def upload(client, mine, data: bytes, name: str = "patients.csv", **fields: str):
    return client.post(
        reverse("mine_ui:import", args=[mine.pk]),
        {"file": SimpleUploadedFile(name, data), "schema_source": "campaign:7", **fields},
    )


def test_bob_maps_columns_previews_and_imports_every_row(client, bob, bob_mine, sonar):
    login(client, bob)
    response = upload(client, bob_mine, RENAMED, name="clinic.csv")
    review = reverse("mine_ui:import-review", args=[bob_mine.pk])
    assert response["Location"] == review

    page = client.get(review).content.decode()
    assert "campaign diabetes (#7)" in page
    assert '<option value="Body mass">' in page
    # Nothing is imported by looking.
    assert not Dataset.objects.exists()

    page = client.post(review, {**MAPPING, "action": "preview"}).content.decode()
    assert "<td>22.5</td>" in page and "first" not in page  # the unmapped column is left out

    response = client.post(review, {**MAPPING, "action": "import"})
    assert response["Location"] == reverse("mine_ui:detail", args=[bob_mine.pk])
    dataset = Dataset.objects.get(mine=bob_mine)
    assert (dataset.name, dataset.row_count) == ("clinic", 3)
    assert list(dataset.rows.values_list("values", flat=True))[1] == {
        "age": 45, "bmi": 30.1, "region": "south", "diabetic": True,
    }  # fmt: skip
    # The upload is gone once imported.
    assert client.get(review)["Location"] == reverse("mine_ui:import", args=[bob_mine.pk])


def test_a_bad_file_imports_nothing_and_lists_every_bad_row(client, bob, bob_mine, sonar):
    bad = RENAMED + b"old,22,north,false,x\n60,heavy,west,true,y\n" + b"x,1,north,true,z\n" * 150
    login(client, bob)
    upload(client, bob_mine, bad)
    review = reverse("mine_ui:import-review", args=[bob_mine.pk])
    response = client.post(review, {**MAPPING, "action": "import"})
    assert response.status_code == 400
    page = response.content.decode()
    assert "153 problems on 152 lines (the first 100 are listed)" in page
    assert page.count('<tr><td class="num">') == 100
    assert '<td class="num">5</td><td>age</td><td class="mono">old</td>' in page
    assert '<td class="num">6</td><td>bmi</td><td class="mono">heavy</td>' in page
    assert '<td class="num">6</td><td>region</td><td class="mono">west</td>' in page
    assert not Dataset.objects.exists()
    assert not DatasetRow.objects.exists()


def test_a_column_picked_twice_is_refused_beside_its_field(client, bob, bob_mine, sonar):
    login(client, bob)
    upload(client, bob_mine, RENAMED)
    review = reverse("mine_ui:import-review", args=[bob_mine.pk])
    response = client.post(review, {**MAPPING, "field:bmi": "Age", "action": "import"})
    assert response.status_code == 400
    assert "Column &#x27;Age&#x27; already fills &#x27;age&#x27;; pick another column." in (
        response.content.decode()
    )
    assert not Dataset.objects.exists()


def test_a_csv_schema_can_be_inferred_with_its_label(client, bob, bob_mine, sonar):
    login(client, bob)
    data = b"age,bmi,diabetic\n31,22.5,false\n45,30.1,true\n"
    response = upload(client, bob_mine, data, schema_source="infer", target="diabetic")
    review = response["Location"]
    page = client.get(review).content.decode()
    assert "inferred from the file" in page
    client.post(
        review,
        {"field:age": "age", "field:bmi": "bmi", "field:diabetic": "diabetic", "action": "import"},
    )
    dataset = Dataset.objects.get(mine=bob_mine)
    assert dataset.output_schema == [{"name": "diabetic", "type": "bool"}]


def test_a_file_over_the_size_cap_is_refused_before_anything_is_stored(
    client, bob, bob_mine, sonar, settings
):
    settings.MINE_UPLOAD_MAX_BYTES = 100
    login(client, bob)
    response = upload(client, bob_mine, RENAMED * 3)
    assert response.status_code == 400
    assert "the page takes at most 100" in response.content.decode()
    assert "python manage.py mine_import" in response.content.decode()


def test_a_file_whose_format_is_unknown_asks_for_one(client, bob, bob_mine, sonar):
    login(client, bob)
    response = upload(client, bob_mine, RENAMED, name="rows.xlsx")
    assert response.status_code == 400
    assert "Cannot tell the format of &#x27;rows.xlsx&#x27;; pick one here." in (
        response.content.decode()
    )


@pytest.mark.parametrize("step", ["import", "import-review"])
def test_mallory_cannot_upload_into_or_import_bobs_pending_file(
    client, bob, mallory, bob_mine, sonar, step
):
    login(client, bob)
    upload(client, bob_mine, RENAMED)
    client.logout()
    login(client, mallory)
    response = client.post(
        reverse(f"mine_ui:{step}", args=[bob_mine.pk]),
        {**MAPPING, "action": "import", "file": SimpleUploadedFile("x.csv", RENAMED),
         "schema_source": "campaign:7"},
    )  # fmt: skip
    assert response.status_code == 404
    assert not Dataset.objects.exists()
