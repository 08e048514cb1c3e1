"""The language column of a clients file: written as people write it, checked like every other field, and a
stored client's language kept unless the file names one."""

from __future__ import annotations

import pytest

from outreach.context import Context
from outreach.importing.files import import_clients
from tests.conftest import ROOT, make_settings
from tests.importing.test_clients import LATER, NOW, clients_by_id, table_contents, write_csv

HEADER = "external_id,first_name,email,phone,language\n"


def languages(ctx) -> dict[str, str]:
    return {external_id: client.language for external_id, client in clients_by_id(ctx).items()}


def rows(*languages: str) -> str:
    return "".join(f"L{n},Client{n},c{n}@example.com,,{language}\n" for n, language in enumerate(languages))


@pytest.fixture
def spanish_clinic(database_url, tmp_path) -> Context:
    """A clinic whose default language is Spanish (instead of `ctx`: the same database)."""
    settings = make_settings(database_url, tmp_path, clinic={"default_language": "es"})
    context = Context(settings, campaigns_dir=ROOT / "campaigns", templates_dir=ROOT / "templates")
    context.upgrade_schema()
    yield context
    context.engine.dispose()


def test_it_reads_a_language_written_as_a_code_or_a_name_in_any_case(ctx, tmp_path):
    written = ("en", "es", "English", "Spanish", "Español", "ESPAÑOL", "spanish", "ES", "es-MX", "es_US", "EN-us")
    path = write_csv(tmp_path, HEADER + rows(*written))

    report = import_clients(ctx, path, now=NOW)

    assert report.problems == []
    assert list(languages(ctx).values()) == ["en", "es", "en", "es", "es", "es", "es", "es", "es", "es", "en"]


def test_a_blank_language_gives_a_new_client_the_clinics_default(ctx, tmp_path):
    import_clients(ctx, write_csv(tmp_path, HEADER + rows("", "es")), now=NOW)

    assert languages(ctx) == {"L0": "en", "L1": "es"}


def test_a_blank_language_gives_a_new_client_the_default_the_clinic_set(spanish_clinic, tmp_path):
    import_clients(spanish_clinic, write_csv(tmp_path, HEADER + rows("", "en", " ")), now=NOW)

    assert languages(spanish_clinic) == {"L0": "es", "L1": "en", "L2": "es"}


def test_a_file_without_the_column_gives_new_clients_the_clinics_default(spanish_clinic, tmp_path):
    path = write_csv(tmp_path, "external_id,first_name,email,phone\nN1,Nora,nora@example.com,\n")

    import_clients(spanish_clinic, path, now=NOW)

    assert languages(spanish_clinic) == {"N1": "es"}


@pytest.mark.parametrize("bad", ["French", "fr", "klingon", "e", "español de méxico"])
def test_a_language_not_served_is_a_row_problem_and_nothing_is_imported(ctx, tmp_path, bad):
    import_clients(ctx, write_csv(tmp_path, HEADER + rows("es"), "first.csv"), now=NOW)
    before = table_contents(ctx)
    path = write_csv(tmp_path, HEADER + rows("en", bad))

    report = import_clients(ctx, path, now=LATER)

    assert [str(problem) for problem in report.problems] == [
        f"{path}:3: language: unknown language {bad!r}; use one of en (English), es (Spanish)"
    ]
    assert (report.created, report.updated) == (0, 0)
    assert table_contents(ctx) == before


def test_reimporting_with_a_language_changes_it_and_without_one_keeps_it(ctx, tmp_path):
    import_clients(ctx, write_csv(tmp_path, HEADER + rows("en", "es", "es"), "first.csv"), now=NOW)

    changed = import_clients(ctx, write_csv(tmp_path, HEADER + rows("Spanish", "", "en"), "second.csv"), now=LATER)
    without = write_csv(tmp_path, "external_id,first_name,email,phone\nL0,Client0,c0@example.com,\n", "third.csv")
    kept = import_clients(ctx, without, now=LATER)

    assert (changed.updated, changed.unchanged) == (2, 1)
    assert (kept.updated, kept.unchanged) == (0, 1)
    assert languages(ctx) == {"L0": "es", "L1": "es", "L2": "en"}


def test_a_dry_run_counts_a_language_change_and_writes_nothing(ctx, tmp_path):
    import_clients(ctx, write_csv(tmp_path, HEADER + rows("en"), "first.csv"), now=NOW)

    report = import_clients(ctx, write_csv(tmp_path, HEADER + rows("es")), now=LATER, dry_run=True)

    assert (report.updated, report.unchanged) == (1, 0)
    assert languages(ctx) == {"L0": "en"}


@pytest.mark.parametrize("header", ["Language", "LANGUAGE", " language "])
def test_the_column_is_found_however_its_name_is_written(ctx, tmp_path, header):
    path = write_csv(tmp_path, f"external_id,first_name,email,phone,{header}\nH1,Hana,hana@example.com,,Spanish\n")

    report = import_clients(ctx, path, now=NOW)

    assert report.problems == []
    assert languages(ctx) == {"H1": "es"}


@pytest.mark.parametrize("header", ["Idioma", "Preferred language", "Preferred Language", "Primary language", "Lang"])
def test_other_names_for_the_column_are_suggested_and_used_once_mapped(ctx, tmp_path, header):
    path = write_csv(tmp_path, f"external_id,first_name,email,phone,{header}\nH1,Hana,hana@example.com,,Español\n")

    suggested = import_clients(ctx, path, now=NOW)
    mapped = import_clients(ctx, path, now=NOW, mapping={header: "language"})

    assert f'it looks like language: --map "{header}=language"' in str(suggested.problems[0])
    assert mapped.problems == []
    assert languages(ctx) == {"H1": "es"}
