"""A malformed impact factors file stops `collecte serve` with plain lines, never a traceback."""

from __future__ import annotations

from pathlib import Path

from collecte.domain.impact_factors import DEFAULT_PATH
from tests.operating.test_startup_errors import _refused, _run

FIX = "Corrigez-le, ou retirez COLLECTE_IMPACT_FACTORS pour revenir au fichier fourni."


def test_a_yearly_figure_above_the_upper_bound_stops_the_start(tmp_path: Path) -> None:
    factors = tmp_path / "facteurs.toml"
    factors.write_text(
        DEFAULT_PATH.read_text().replace("years_of_extra_use = 3", "years_of_extra_use = 7", 1)
    )
    env = {
        "COLLECTE_DATABASE_URL": f"sqlite:///{tmp_path / 'collecte.sqlite3'}",
        "COLLECTE_IMPACT_FACTORS": str(factors),
    }

    result = _run(env, "serve")

    _refused(
        result,
        "Le fichier des facteurs d’impact est invalide : facteurs.toml [categories.laptop]: "
        "co2e_per_year_kg × years_of_extra_use (189) exceeds manufacture_co2e_kg (182.6), "
        "the upper bound",
        FIX,
    )
    assert not (tmp_path / "collecte.sqlite3").exists()  # refused before touching the database


def test_a_missing_factors_file_stops_the_start(tmp_path: Path) -> None:
    absent = tmp_path / "absent.toml"
    env = {
        "COLLECTE_DATABASE_URL": f"sqlite:///{tmp_path / 'collecte.sqlite3'}",
        "COLLECTE_IMPACT_FACTORS": str(absent),
    }

    _refused(
        _run(env, "serve"),
        f"Le fichier des facteurs d’impact est invalide : [Errno 2] No such file or directory: "
        f"'{absent}'",
        FIX,
    )
