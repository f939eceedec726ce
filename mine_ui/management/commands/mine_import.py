"""Import a data file into a mine as a dataset: all rows or none."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.management.base import CommandError, CommandParser

from adapters import ADAPTERS, AdapterError, BadRow, Schema, SchemaError, schema_infer_csv
from mine_ui.imports import SUFFIXES
from mine_ui.management.mine_command import MineCommand, sonar_error_sentence
from mine_ui.models import Mine
from mine_ui.remote import sonar_client
from mine_ui.services import DatasetImportError, dataset_import
from pysonar import SonarError


class Command(MineCommand):
    help = (
        "Import FILE into a mine as a new dataset; every row is checked and, on any error, "
        "nothing is imported and every bad row is listed (line, column, value, reason; the "
        "first 100, with the total). Without --schema, a CSV file's schema is guessed from its "
        "header and values (numbers, true/false, short repeated lists become categories, the rest "
        "text) and printed, and a text file becomes one text field named 'text'. A mine joins "
        "a campaign only when the dataset's schemas equal the campaign's, so prefer --schema "
        "with the campaign's JSON."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="The data file.")
        self.add_mine_arguments(parser)
        parser.add_argument(
            "--adapter",
            choices=sorted(ADAPTERS),
            help="File format; by default taken from the file's extension "
            "(.csv, .json, .jsonl/.ndjson, .txt).",
        )
        parser.add_argument(
            "--dataset", help="Dataset name (default: the file name without extension)."
        )
        parser.add_argument(
            "--schema",
            type=Path,
            help="JSON file with the input schema (a list of fields), or a campaign's JSON "
            "with input_schema and output_schema.",
        )
        parser.add_argument(
            "--output-schema", type=Path, help="JSON file with the output schema (one field)."
        )
        parser.add_argument(
            "--campaign",
            type=int,
            metavar="ID",
            help="Take both schemas from this open campaign on the mine's Sonar (mine_status "
            "lists them), so the dataset matches it exactly.",
        )
        parser.add_argument(
            "--target",
            help="When the schema is guessed: the column holding the label to learn.",
        )
        parser.add_argument("--max-rows", type=int, help="Refuse files with more rows than this.")

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(f"File not found: {path}.")
        mine = self._mine(options["mine"], options["owner"])
        adapter = options["adapter"] or SUFFIXES.get(path.suffix.lower())
        if adapter is None:
            raise CommandError(
                f"Cannot tell the format of '{path.name}' from its extension; pass --adapter "
                f"({', '.join(sorted(ADAPTERS))})."
            )
        progress = options["verbosity"] >= 1
        schema, output, guessed = self._schemas(path, adapter, options, progress)
        name = options["dataset"] or path.stem
        try:
            dataset = dataset_import(
                mine=mine,
                name=name,
                source=path,
                adapter=adapter,
                schema=schema,
                output=output,
                progress=progress,
                max_rows=options["max_rows"],
            )
        except DatasetImportError as exc:
            self.stderr.write(bad_rows_table(exc.bad_rows))
            if exc.total > len(exc.bad_rows):
                self.stderr.write(
                    f"(the first {len(exc.bad_rows)} of {exc.total:,} problems on "
                    f"{exc.lines:,} lines)"
                )
            raise CommandError(" ".join(exc.messages)) from exc
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        if guessed:
            self.stdout.write("Guessed schema (save it and pass --schema to import alike):")
            self.stdout.write(json.dumps(schema.to_json(), indent=2))
            if output is not None and options["target"]:
                self.stdout.write("Guessed output schema:")
                self.stdout.write(json.dumps(output.to_json(), indent=2))
        labeled = "labeled" if output is not None else "unlabeled (it cannot train)"
        self.stdout.write(
            self.style.SUCCESS(
                f"Imported {dataset.row_count:,} rows into dataset '{dataset.name}' of mine "
                f"'{mine.name}': {labeled}, schema {dataset.schema_fingerprint[:12]}…."
            )
        )

    def _mine(self, name: str, owner: str | None) -> Mine:
        if owner and not User.objects.filter(username=owner).exists():
            raise CommandError(f"No user named '{owner}'.")
        return self.mine_get(name, owner)

    def _campaign(self, options: dict[str, Any]) -> dict:
        mine = self._mine(options["mine"], options["owner"])
        try:
            client = sonar_client(sonar_url=mine.sonar_url, token=mine.api_token, owner=mine.owner)
            return dict(client.campaign(options["campaign"]))
        except SonarError as exc:
            if exc.status == 404:
                raise CommandError(
                    f"Sonar has no campaign {options['campaign']} you can see; `python manage.py "
                    f'mine_status --mine "{mine.name}"` lists the open ones.'
                ) from None
            raise CommandError(sonar_error_sentence(exc, mine.sonar_url)) from None

    def _schemas(
        self, path: Path, adapter: str, options: dict[str, Any], progress: bool
    ) -> tuple[Schema, Schema | None, bool]:
        """(input, output, guessed?) from the campaign or schema files, or guessed from the data."""
        if options["campaign"] is not None:
            if options["schema"] or options["output_schema"] or options["target"]:
                raise CommandError(
                    "--campaign gives both schemas; leave out --schema, --output-schema and "
                    "--target."
                )
            campaign = self._campaign(options)
            where = f"campaign {options['campaign']}"
            return (
                _schema(campaign.get("input_schema"), where, "input"),
                _schema(campaign.get("output_schema"), where, "output"),
                False,
            )
        output = None
        if options["output_schema"]:
            data = _load_json(options["output_schema"])
            if isinstance(data, dict) and "output_schema" in data:
                data = data["output_schema"]
            output = _schema(data, options["output_schema"], "output")
        if options["schema"]:
            if options["target"]:
                raise CommandError(
                    "--target is for guessed schemas; with --schema pass --output-schema."
                )
            data = _load_json(options["schema"])
            if isinstance(data, dict) and "input_schema" in data:
                if output is None and data.get("output_schema"):
                    output = _schema(data["output_schema"], options["schema"], "output")
                data = data["input_schema"]
            return _schema(data, options["schema"], "input"), output, False
        if adapter == "text":
            return Schema.from_json([{"name": "text", "type": "text"}]), output, True
        if adapter != "csv":
            raise CommandError(
                f"The {adapter} adapter needs a schema: pass --schema FILE (a JSON list of fields, "
                "or a campaign's JSON)."
            )
        target = output.fields[0].name if output is not None else options["target"]
        try:
            schema, guessed_output = schema_infer_csv(path, target=target, progress=progress)
        except (AdapterError, SchemaError) as exc:
            raise CommandError(f"Nothing was imported: {exc}") from exc
        return schema, output or guessed_output, True


def _load_json(path: Path) -> object:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise CommandError(f"Cannot read the schema file {path}: {exc.strerror}.") from exc
    except (ValueError, UnicodeDecodeError) as exc:
        raise CommandError(f"The schema file {path} is not valid JSON: {exc}.") from exc


def _schema(data: object, path: Path | str, what: str) -> Schema:
    try:
        return Schema.from_json(data)
    except SchemaError as exc:
        raise CommandError(f"The {what} schema in {path} is invalid: {exc}") from exc


def bad_rows_table(bad_rows: list[BadRow]) -> str:
    """The bad rows as an aligned table: line, column, value, reason."""
    header = ("line", "column", "value", "reason")
    cells = [
        (str(bad.line or ""), bad.column or "-", bad.value or "-", bad.reason) for bad in bad_rows
    ]
    widths = [min(max(len(row[i]) for row in [header, *cells]), 24) for i in range(len(header) - 1)]

    def line(row: tuple[str, ...]) -> str:
        fixed = [row[i][: widths[i]].ljust(widths[i]) for i in range(len(widths))]
        return "  ".join([*fixed, row[-1]]).rstrip()

    return "\n".join(line(row) for row in [header, *cells])
