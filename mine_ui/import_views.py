"""The Mine page's import: upload, pick a schema, map columns, preview, import all or nothing."""

from __future__ import annotations

from pathlib import Path

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from adapters import AdapterError, Schema, SchemaError, schema_infer_csv
from mine_ui import remote
from mine_ui.forms import INFER, ImportForm, MappingForm
from mine_ui.imports import (
    Upload,
    csv_header,
    csv_map_columns,
    csv_preview,
    lines_preview,
    upload_delete,
    upload_find,
    upload_store,
)
from mine_ui.models import Mine
from mine_ui.services import DatasetImportError, dataset_import
from mine_ui.views import own_mine


def _session_key(mine: Mine) -> str:
    return f"mine-import-{mine.pk}"


@login_required
def upload(request: HttpRequest, mine_id: int) -> HttpResponse:
    """Step 1: the file, its format, and the schema it should have."""
    mine = own_mine(request, mine_id)
    found, problem = remote.campaigns_open_for(mine=mine)
    form = ImportForm(request.POST or None, request.FILES or None, campaigns=found)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        stored = upload_store(file=data["file"], adapter=data["adapter"])
        try:
            schema, output, source = _schemas(stored, data, found)
        except ValidationError as exc:
            upload_delete(stored)
            form.add_error("schema_source", exc)
        else:
            previous = upload_find(request.session.get(_session_key(mine)))
            if previous is not None:
                upload_delete(previous)
            request.session[_session_key(mine)] = {
                "key": stored.key,
                "filename": stored.filename,
                "adapter": stored.adapter,
                "name": data["name"].strip() or Path(stored.filename).stem,
                "schema": schema.to_json(),
                "output": output.to_json() if output else None,
                "source": source,
            }
            return redirect("mine_ui:import-review", mine_id=mine.pk)
    return render(
        request,
        "mine_ui/import.html",
        {"mine": mine, "form": form, "problem": problem},
        status=400 if request.method == "POST" else 200,
    )


def _schemas(
    stored: Upload, data: dict, campaigns: list[dict]
) -> tuple[Schema, Schema | None, str]:
    """(input, output, where they came from) for the chosen schema source."""
    if data["schema_source"] == INFER:
        target = data["target"].strip() or None
        try:
            schema, output = schema_infer_csv(stored.data(), target=target)
        except (AdapterError, SchemaError) as exc:
            raise ValidationError(f"Could not infer a schema from the file: {exc}") from None
        return schema, output, "inferred from the file"
    wanted = data["schema_source"].removeprefix("campaign:")
    for campaign in campaigns:
        if str(campaign.get("id")) == wanted:
            try:
                return (
                    Schema.from_json(campaign.get("input_schema")),
                    Schema.from_json(campaign.get("output_schema")),
                    f"campaign {campaign.get('name')} (#{wanted})",
                )
            except SchemaError as exc:
                raise ValidationError(f"That campaign's schema is unusable: {exc}") from None
    raise ValidationError("That campaign is no longer open; pick another.")


@login_required
def review(request: HttpRequest, mine_id: int) -> HttpResponse:
    """Step 2: map the columns, look at the first rows, and import every row or none."""
    mine = own_mine(request, mine_id)
    pending = request.session.get(_session_key(mine)) or {}
    stored = upload_find(pending)
    if stored is None:
        messages.error(request, "Upload the file first (it is kept only until it is imported).")
        return redirect("mine_ui:import", mine_id=mine.pk)
    schema = Schema.from_json(pending["schema"])
    output = Schema.from_json(pending["output"]) if pending.get("output") else None
    fields = schema.names + (output.names if output else [])
    data = stored.data()
    is_csv = stored.adapter == "csv"
    form = (
        MappingForm(request.POST or None, fields=fields, columns=csv_header(data))
        if is_csv
        else None
    )
    context: dict = {"mine": mine, "pending": pending, "form": form, "fields": fields}
    status = 200
    if request.method == "POST":
        if request.POST.get("action") == "cancel":
            upload_delete(stored)
            request.session.pop(_session_key(mine), None)
            messages.success(request, "Import cancelled; the uploaded file was deleted.")
            return redirect("mine_ui:detail", mine_id=mine.pk)
        mapping = _mapping(form)
        if form is not None and mapping is None:
            status = 400
        elif request.POST.get("action") == "import":
            source = csv_map_columns(data, mapping) if mapping else data
            try:
                dataset = dataset_import(
                    mine=mine,
                    name=pending["name"],
                    source=source,
                    adapter=stored.adapter,
                    schema=schema,
                    output=output,
                )
            except DatasetImportError as exc:
                context.update(bad_rows=exc.bad_rows, bad_total=exc.total, bad_lines=exc.lines)
                status = 400
            except ValidationError as exc:
                context["error"] = " ".join(exc.messages)
                status = 400
            else:
                upload_delete(stored)
                request.session.pop(_session_key(mine), None)
                messages.success(
                    request,
                    f"Imported {dataset.row_count:,} rows into dataset '{dataset.name}'.",
                )
                return redirect("mine_ui:detail", mine_id=mine.pk)
    context.update(_preview(data, is_csv, form, fields))
    return render(request, "mine_ui/import_review.html", context, status=status)


def _mapping(form: MappingForm | None) -> dict[str, str] | None:
    """The columns chosen for each field, or None when the form has errors."""
    if form is None or not form.is_valid():
        return None
    mapping = form.mapping()
    used: dict[str, str] = {}
    for field, column in mapping.items():
        if column in used:
            form.add_error(
                f"field:{field}",
                f"Column '{column}' already fills '{used[column]}'; pick another column.",
            )
            return None
        used[column] = field
    return mapping


def _preview(data: bytes, is_csv: bool, form: MappingForm | None, fields: list[str]) -> dict:
    """The first rows as they would be read: mapped columns for CSV, raw lines otherwise."""
    if not is_csv or form is None:
        return {"preview_lines": lines_preview(data)}
    chosen = (
        form.mapping()
        if form.is_bound and hasattr(form, "cleaned_data")
        else {name: form.fields[f"field:{name}"].initial for name in fields}
    )
    header, rows = csv_preview(data)
    positions = [header.index(column) if column in header else None for column in chosen.values()]
    return {
        "preview_header": list(chosen),
        "preview_rows": [
            [row[i] if i is not None and i < len(row) else "" for i in positions] for row in rows
        ],
    }
