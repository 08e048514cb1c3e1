"""CSV upload in the browser: choose the kind and the file, map its columns (suggested from common header names,
remembered per kind), see every problem as the CLI prints it, and import only when no row is bad."""

from __future__ import annotations

import re
import secrets
import time
from dataclasses import replace
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Form, Request, UploadFile
from fastapi.responses import RedirectResponse

from outreach.context import Context
from outreach.db import session_scope
from outreach.importing.files import import_clients, import_progress, import_visits
from outreach.importing import clients, progress, visits
from outreach.importing.csvfile import header_and_samples, header_names
from outreach.importing.headers import canonical, suggestion
from outreach.services import import_mappings
from outreach.services.clients import refresh_imported
from outreach.services.facts import audit
from outreach.web.dashboard.auth import ClientsStaff
from outreach.web.deps import ContextDep, now
from outreach.web.dashboard.routes.pages import PageNotFound, flash, render

router = APIRouter(prefix="/imports")
KINDS = {
    "clients": (clients, import_clients),
    "visits": (visits, import_visits),
    "progress": (progress, import_progress),
}
MAX_UPLOAD = 20 * 1024 * 1024
KEEP_SECONDS = 24 * 3600
_TOKEN = re.compile(r"^[0-9a-f]{32}$")
FormText = Annotated[str, Form()]


@router.get("")
def upload_form(request: Request, staff: ClientsStaff):
    return render(request, "imports.html", kinds=KINDS, errors={})


@router.post("")
async def upload(request: Request, ctx: ContextDep, staff: ClientsStaff, file: UploadFile, kind: FormText = "clients"):
    if kind not in KINDS:
        return render(request, "imports.html", status_code=400, kinds=KINDS, errors={"upload": "choose a kind"})
    body = await file.read(MAX_UPLOAD + 1)
    if len(body) > MAX_UPLOAD:
        return render(
            request,
            "imports.html",
            status_code=413,
            kinds=KINDS,
            errors={"upload": f"the file is larger than {MAX_UPLOAD // 1024 // 1024} MB"},
        )
    token = secrets.token_hex(16)
    _uploads(ctx.data_dir).joinpath(f"{token}.csv").write_bytes(body)
    request.session[f"upload:{token}"] = (file.filename or "upload.csv")[:100]
    return RedirectResponse(f"/imports/{kind}/{token}", status_code=303)


@router.get("/{kind}/{token}")
def mapping_page(request: Request, ctx: ContextDep, staff: ClientsStaff, kind: str, token: str):
    return _mapping(request, ctx, kind, token, report=None)


@router.post("/{kind}/{token}")
async def check_or_import(request: Request, ctx: ContextDep, staff: ClientsStaff, kind: str, token: str):
    form = await request.form()
    path = _upload_path(ctx.data_dir, kind, token)
    headers = _headers(path)
    mapping = {name: str(form.get(f"col{index}", "")) for index, name in enumerate(headers)}
    with session_scope(ctx.engine) as session:
        import_mappings.remember(session, kind, mapping, staff.username, now(request))
    importer = KINDS[kind][1]
    run = form.get("action") == "import"
    report = importer(ctx, path, now=now(request), dry_run=not run, mapping=mapping)
    report.file = request.session.get(f"upload:{token}", "upload.csv")
    report.problems = [replace(problem, file=report.file) for problem in report.problems]
    if run and report.ok:
        with session_scope(ctx.engine) as session:
            audit(
                session,
                staff.username,
                "import.upload",
                detail=f"{kind}: {report.file}: {report.counts}",
                at=now(request),
            )
            refresh_imported(session, ctx.settings, now(request))
        path.unlink(missing_ok=True)
        flash(request, "ok", report.summary())
        return RedirectResponse("/clients" if kind == "clients" else "/imports", status_code=303)
    return _mapping(request, ctx, kind, token, report=report)


def _mapping(request: Request, ctx: Context, kind: str, token: str, report):  # noqa: ANN001, ANN202
    path = _upload_path(ctx.data_dir, kind, token)
    module = KINDS[kind][0]
    with session_scope(ctx.engine) as session:
        remembered = import_mappings.remembered(session, kind)
    names, samples = _headers_and_samples(path)
    rows = [
        (index, name, _suggested(name, module.COLUMNS, remembered), _column_samples(samples, index))
        for index, name in enumerate(names)
    ]
    return render(
        request,
        "imports_map.html",
        status_code=400 if report and not report.ok else 200,
        kind=kind,
        token=token,
        rows=rows,
        columns=module.COLUMNS,
        accepted=module.ACCEPTED,
        report=report,
        filename=request.session.get(f"upload:{token}", "upload.csv"),
    )


def _suggested(name: str, columns, remembered: dict[str, str]) -> str:  # noqa: ANN001
    if name in remembered:
        return remembered[name]
    if canonical(name) in columns.all:
        return canonical(name)
    return suggestion(name, columns) or ""


SAMPLE_ROWS = 3


def _headers_and_samples(path: Path) -> tuple[list[str], list[list[str]]]:
    try:
        with path.open("rb") as stream:
            return header_and_samples(stream, SAMPLE_ROWS)
    except ValueError as exc:
        raise PageNotFound(f"That file cannot be read: {exc}. Upload it again as CSV.") from None


def _column_samples(samples: list[list[str]], index: int) -> list[str]:
    """The column's first values, to check the match against (empty cells left out)."""
    return [row[index] for row in samples if index < len(row) and row[index]]


def _headers(path: Path) -> list[str]:
    try:
        with path.open("rb") as stream:
            return header_names(stream)
    except ValueError as exc:
        raise PageNotFound(f"That file cannot be read: {exc}. Upload it again as CSV.") from None


def _upload_path(data_dir: Path, kind: str, token: str) -> Path:
    path = _uploads(data_dir) / f"{token}.csv"
    if kind not in KINDS or not _TOKEN.match(token) or not path.is_file():
        raise PageNotFound("That upload is gone (imported, or older than a day). Upload the file again.")
    return path


def _uploads(data_dir: Path) -> Path:
    folder = Path(data_dir) / "uploads"
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.csv"):
        if old.stat().st_mtime < time.time() - KEEP_SECONDS:
            old.unlink(missing_ok=True)
    return folder
