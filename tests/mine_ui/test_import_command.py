"""manage.py mine_import: files into datasets, all rows or none."""

from __future__ import annotations

import json
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from adapters import Schema
from mine_ui.models import Dataset, DatasetRow
from tests.conftest import ROOT, worker_environment
from tests.mine_ui.conftest import CSV, INPUT_SCHEMA, OUTPUT_SCHEMA, open_campaign


def write(tmp_path: Path, name: str, content: bytes | str | object) -> Path:
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif isinstance(content, str):
        path.write_text(content, encoding="utf-8")
    else:
        path.write_text(json.dumps(content), encoding="utf-8")
    return path


def run(*args: object, verbosity: int = 0) -> str:
    out = StringIO()
    call_command("mine_import", *map(str, args), stdout=out, stderr=StringIO(), verbosity=verbosity)
    return out.getvalue()


def test_a_csv_with_schema_files_is_imported(bob_mine, tmp_path):
    data = write(tmp_path, "patients.csv", CSV)
    schema = write(tmp_path, "in.json", INPUT_SCHEMA)
    output = write(tmp_path, "out.json", OUTPUT_SCHEMA)
    said = run(data, "--mine", bob_mine.name, "--schema", schema, "--output-schema", output)
    dataset = Dataset.objects.get(mine=bob_mine)
    assert (dataset.name, dataset.row_count, dataset.adapter) == ("patients", 3, "csv")
    assert dataset.output_fingerprint == Schema.from_json(OUTPUT_SCHEMA).fingerprint()
    assert f"Imported 3 rows into dataset 'patients' of mine '{bob_mine.name}': labeled" in said


def test_a_campaigns_json_serves_as_both_schemas(bob_mine, tmp_path):
    data = write(tmp_path, "patients.csv", CSV)
    campaign = write(tmp_path, "campaign.json", open_campaign())
    run(data, "--mine", bob_mine.name, "--schema", campaign, "--dataset", "for diabetes")
    dataset = Dataset.objects.get(name="for diabetes")
    assert dataset.output_schema == OUTPUT_SCHEMA
    assert dataset.schema_fingerprint == Schema.from_json(INPUT_SCHEMA).fingerprint()


def test_without_a_schema_a_csv_schema_is_guessed_and_printed(bob_mine, tmp_path):
    data = write(tmp_path, "patients.csv", CSV)
    said = run(data, "--mine", bob_mine.name, "--target", "diabetic")
    dataset = Dataset.objects.get(mine=bob_mine)
    assert dataset.input_schema == [
        {"name": "age", "type": "int"},
        {"name": "bmi", "type": "float"},
        {"name": "region", "type": "category", "categories": ["north", "south"]},
    ]
    assert dataset.output_schema == [{"name": "diabetic", "type": "bool"}]
    assert "Guessed schema (save it and pass --schema to import alike):" in said


def test_a_text_file_is_imported_as_one_text_field(bob_mine, tmp_path):
    posts = write(tmp_path, "posts.txt", "first post\nsecond post\n")
    run(posts, "--mine", bob_mine.name)
    dataset = Dataset.objects.get(mine=bob_mine)
    assert dataset.input_schema == [{"name": "text", "type": "text", "hash_features": 64}]
    assert dataset.output_schema is None
    assert dataset.row_count == 2


def test_a_jsonl_file_with_a_schema_is_imported(bob_mine, tmp_path):
    rows = [{"age": 3, "bmi": 20.5, "region": "north"}, {"age": 4, "bmi": 21, "region": "south"}]
    data = write(tmp_path, "rows.jsonl", "\n".join(json.dumps(row) for row in rows))
    run(data, "--mine", bob_mine.name, "--schema", write(tmp_path, "in.json", INPUT_SCHEMA))
    assert Dataset.objects.get(mine=bob_mine).row_count == 2


def test_a_bad_row_imports_nothing_and_names_the_line(bob_mine, tmp_path):
    data = write(tmp_path, "patients.csv", CSV + b"1,2,west,true\n")
    with pytest.raises(CommandError) as caught:
        run(
            data,
            "--mine",
            bob_mine.name,
            "--schema",
            write(tmp_path, "in.json", INPUT_SCHEMA),
            "--output-schema",
            write(tmp_path, "out.json", OUTPUT_SCHEMA),
        )
    assert str(caught.value) == (
        "Nothing was imported: Line 5, field 'region': expected one of north, south, got 'west'."
    )
    assert not Dataset.objects.exists()
    assert not DatasetRow.objects.exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--mine", "nowhere"],
            "No mine named 'nowhere'; create it with `python manage.py mine_init",
        ),
        (["--mine", "bob's clinic", "--adapter", "json"], "The json adapter needs a schema"),
        (
            ["--mine", "bob's clinic", "--schema", "missing.json"],
            "Cannot read the schema file missing.json: No such file or directory.",
        ),
        (["--mine", "bob's clinic", "--schema", "{broken"], "is not valid JSON"),
        (
            ["--mine", "bob's clinic", "--schema", '[{"name": "age", "type": "number"}]'],
            "The input schema in",
        ),
        (["--mine", "bob's clinic", "--owner", "nobody"], "No user named 'nobody'."),
    ],
)
def test_bad_input_is_a_clear_command_error(bob_mine, tmp_path, monkeypatch, args, message):
    monkeypatch.chdir(tmp_path)
    data = write(tmp_path, "patients.csv", CSV)
    if "--schema" in args:
        index = args.index("--schema") + 1
        if args[index] != "missing.json":
            args[index] = str(write(tmp_path, "schema.json", args[index]))
    with pytest.raises(CommandError) as caught:
        run(data, *args)
    assert message in str(caught.value)
    assert not Dataset.objects.exists()


def test_a_missing_file_or_unknown_extension_is_named(bob_mine, tmp_path):
    with pytest.raises(CommandError, match="File not found"):
        run(tmp_path / "nope.csv", "--mine", bob_mine.name)
    data = write(tmp_path, "data.xlsx", b"PK\x03\x04")
    with pytest.raises(CommandError, match=r"Cannot tell the format of 'data\.xlsx'"):
        run(data, "--mine", bob_mine.name)


def test_a_mine_name_shared_by_two_people_needs_an_owner(bob, carol, make_mine, tmp_path):
    make_mine(bob, "clinic")
    carols = make_mine(carol, "clinic")
    data = write(tmp_path, "patients.csv", CSV)
    with pytest.raises(
        CommandError, match=r"Several people have a mine named 'clinic' \(bob, carol\)"
    ):
        run(data, "--mine", "clinic")
    run(data, "--mine", "clinic", "--owner", "carol")
    assert Dataset.objects.get().mine == carols


def test_the_progress_bar_is_drawn_on_stderr(bob_mine, tmp_path, capfd):
    data = write(tmp_path, "patients.csv", CSV)
    run(data, "--mine", bob_mine.name, "--target", "diabetic", verbosity=1)
    assert "Reading patients.csv" in capfd.readouterr().err


@pytest.mark.slow
def test_the_command_exits_non_zero_on_bad_input(transactional_db, bob, make_mine, tmp_path):
    make_mine(bob, "clinic")
    data = write(tmp_path, "patients.csv", CSV + b"oops\n")
    result = subprocess.run(
        [sys.executable, "manage.py", "mine_import", "--mine", "clinic", str(data)],
        cwd=ROOT,
        env=worker_environment(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1
    assert "Line 5 has 1 value but the header on line 1 names 4 columns." in result.stderr
    assert not Dataset.objects.exists()
