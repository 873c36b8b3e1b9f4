"""`collecte labels` run as a person would, on a temporary SQLite database, its PDFs read back."""

from __future__ import annotations

import json
import os
import re
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from collecte.documents.label_sheets import LABELS_DIR, label_box, load_formats
from collecte.domain import tags
from tests.documents.reading import decode_qr_codes, page_count

FORMATS, _ = load_formats(LABELS_DIR)
URL = "HTTP://COLLECTE.TEST/D/"
TOLERANCE_PT = 1.5

# Run in its own process, so the test session's engines are left alone.
SETUP = """
import asyncio, json
from collecte.domain.access import Principal
from collecte.db.engine import engine_for
from collecte.db.migrate import migrate
from collecte.domain.vocabulary import Role
from collecte.services.accounts import add_user, find_or_create_organization
from collecte.services.donations import create_donation
from collecte.settings import load_settings

async def main():
    await migrate(engine_for(load_settings().database_url))
    coordination = await find_or_create_organization("OPEN NC", Role.COORDINATOR)
    user = await add_user(coordination, "coordination@collecte.test", "mot-de-passe-cli-1",
                          provisional=False)
    donor = await find_or_create_organization("Banque Exemple", Role.DONOR)
    principal = Principal(user["id"], user["email"], "", coordination["id"], "OPEN NC",
                          Role.COORDINATOR)
    devices = [{"category": "laptop", "brand": "HP", "model": f"EliteBook {n}"} for n in range(4)]
    donation = await create_donation(principal, {"donor_id": donor["id"], "devices": devices}, 10)
    print(json.dumps({"number": donation["number"],
                      "tags": [d["tag"] for d in donation["devices"]]}))

asyncio.run(main())
"""


def environment(database: Path, labels_dir: Path | None = None) -> dict[str, str]:
    env = {
        **os.environ,
        "COLLECTE_DATABASE_URL": f"sqlite:///{database}",
        "COLLECTE_PUBLIC_URL": "http://collecte.test",
    }
    env.pop("COLLECTE_LABELS_DIR", None)
    if labels_dir is not None:
        env["COLLECTE_LABELS_DIR"] = str(labels_dir)
    return env


def run(
    database: Path, *args: str, labels_dir: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """Run `collecte labels …` against `database`, with `COLLECTE_LABELS_DIR` if given."""
    return subprocess.run(
        [sys.executable, "-m", "collecte.cli", "labels", *args],
        env=environment(database, labels_dir),
        cwd=database.parent,
        capture_output=True,
        text=True,
        timeout=120,
    )


def blank_tags_in(database: Path) -> list[tuple[str, Any]]:
    with sqlite3.connect(database) as connection:
        return list(connection.execute("SELECT tag, device FROM blank_tag ORDER BY id"))


@pytest.fixture(scope="module")
def populated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    """A database with a coordinator and a donation of four devices."""
    database = tmp_path_factory.mktemp("cli") / "collecte.sqlite3"
    done = subprocess.run(
        [sys.executable, "-c", SETUP],
        env=environment(database),
        cwd=database.parent,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return database, json.loads(done.stdout.strip().splitlines()[-1])


def test_labels_of_a_donation(populated: tuple[Path, dict[str, Any]]) -> None:
    database, donation = populated
    output = database.parent / "don.pdf"
    fmt = FORMATS["avery-l7160"]

    done = run(
        database, "--donation", donation["number"].lower(), "--format", fmt.id,
        "--skip", "19", "-o", str(output),
    )  # fmt: skip

    assert done.returncode == 0, done.stderr
    assert "4 étiquette(s)" in done.stderr
    pdf = output.read_bytes()
    assert page_count(pdf) == 2
    codes = {code.text: code for code in decode_qr_codes(pdf)}
    assert set(codes) == {URL + tag for tag in donation["tags"]}
    for index, tag in enumerate(donation["tags"]):
        page, position = divmod(19 + index, fmt.per_page)
        code = codes[URL + tag]
        x, y, width, height = label_box(fmt, position)
        assert code.page == page
        assert x - TOLERANCE_PT <= code.x0 and code.x1 <= x + width + TOLERANCE_PT
        assert y - TOLERANCE_PT <= code.y0 and code.y1 <= y + height + TOLERANCE_PT


def test_blank_tags_are_reserved_and_printed(populated: tuple[Path, dict[str, Any]]) -> None:
    database, _ = populated
    output = database.parent / "vierges.pdf"
    before = blank_tags_in(database)

    done = run(database, "--blank", "3", "--format", "thermal-62x29", "-o", str(output))

    assert done.returncode == 0, done.stderr
    pdf = output.read_bytes()
    assert page_count(pdf) == 3  # one label per page on the roll
    printed = sorted(code.text.removeprefix(URL) for code in decode_qr_codes(pdf))
    assert len(printed) == 3 and all(tags.is_valid(tag) for tag in printed)
    added = blank_tags_in(database)[len(before) :]
    assert sorted(tag for tag, _ in added) == printed
    assert all(device is None for _, device in added)


def test_bad_requests_fail_clearly_and_write_nothing(
    populated: tuple[Path, dict[str, Any]],
) -> None:
    database, donation = populated
    output = database.parent / "rien.pdf"
    before = blank_tags_in(database)

    unknown_donation = run(database, "--donation", "LOT-1999-00042", "-o", str(output))
    unknown_format = run(database, "--blank", "2", "--format", "avery-l0000", "-o", str(output))
    too_many = run(database, "--blank", "1001", "-o", str(output))
    bad_skip = run(database, "--donation", donation["number"], "--skip", "21", "-o", str(output))
    no_output = run(database, "--blank", "2")

    for done in (unknown_donation, unknown_format, too_many, bad_skip):
        assert done.returncode == 1
        assert done.stderr.startswith("Erreur : ")
    assert "LOT-1999-00042" in unknown_donation.stderr
    assert "avery-l0000" in unknown_format.stderr
    assert (
        "« Positions déjà utilisées à sauter » doit être compris entre 0 et 20" in bad_skip.stderr
    )
    assert no_output.returncode == 2 and "--output" in no_output.stderr
    assert not output.exists()
    assert blank_tags_in(database) == before


def test_without_a_coordinator_nothing_is_created(tmp_path: Path) -> None:
    database = tmp_path / "vide.sqlite3"
    output = tmp_path / "vierges.pdf"

    done = run(database, "--blank", "5", "-o", str(output))

    assert done.returncode == 1
    assert "Aucun compte de coordination" in done.stderr
    assert not output.exists()
    assert blank_tags_in(database) == []


def test_the_formats_are_listed(tmp_path: Path) -> None:
    done = run(tmp_path / "inutile.sqlite3", "--formats")

    assert done.returncode == 0, done.stderr
    for format_id in FORMATS:
        assert format_id in done.stdout


def test_labels_dir_adds_and_overrides_the_shipped_stocks(
    populated: tuple[Path, dict[str, Any]], tmp_path: Path
) -> None:
    database, donation = populated
    shipped = (LABELS_DIR / "thermal-62x29.toml").read_text(encoding="utf-8")
    recalibrated = re.sub(r"(?m)^name = .*$", 'name = "Thermique recalibrée"', shipped)
    (tmp_path / "thermal-62x29.toml").write_text(
        recalibrated.replace("offset_y_mm = 0", "offset_y_mm = 2.5"), encoding="utf-8"
    )
    (tmp_path / "rouleau-50x25.toml").write_text(
        'name = "Rouleau 50 × 25"\npage_width_mm = 50\npage_height_mm = 25\nrows = 1\n'
        "columns = 1\nlabel_width_mm = 50\nlabel_height_mm = 25\nmargin_top_mm = 0\n"
        "margin_left_mm = 0\ngap_x_mm = 0\ngap_y_mm = 0\n",
        encoding="utf-8",
    )
    (tmp_path / "vide.toml").write_text("", encoding="utf-8")
    output = tmp_path / "rouleau.pdf"

    listed = run(database, "--formats", labels_dir=tmp_path)
    printed = run(
        database, "--donation", donation["number"], "--format", "rouleau-50x25",
        "-o", str(output), labels_dir=tmp_path,
    )  # fmt: skip

    assert listed.returncode == 0, listed.stderr
    ids = [line.split()[0] for line in listed.stdout.splitlines()]
    assert ids == sorted({*FORMATS, "rouleau-50x25"})
    assert "Rouleau 50 × 25" in listed.stdout
    assert "Thermique recalibrée" in listed.stdout
    assert FORMATS["thermal-62x29"].name not in listed.stdout
    ignored = [line for line in listed.stderr.splitlines() if line.startswith("Fichier ignoré")]
    assert ignored == ["Fichier ignoré : vide.toml : champ obligatoire manquant : « name »"]
    assert printed.returncode == 0, printed.stderr
    pdf = output.read_bytes()
    assert page_count(pdf) == len(donation["tags"])  # one label per page on the new roll
    assert {code.text for code in decode_qr_codes(pdf)} == {URL + t for t in donation["tags"]}
