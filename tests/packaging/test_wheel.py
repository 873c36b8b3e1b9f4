"""collecte as a wheel: built from the source tree, installed into a fresh virtualenv, run there.

The virtualenv gets the wheel only; the dependencies come from the project's own virtualenv,
made visible by a `.pth` line holding its site-packages. Such a line does not run that folder's
own `.pth` files, so the editable install of the source tree stays out of sight: whatever runs
is the installed package, from a working directory outside the repository, with no network.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import sysconfig
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.live import HOST, free_port

ROOT = Path(__file__).resolve().parent.parent.parent
# What the wheel is built from (pyproject.toml's readme is part of its metadata).
SOURCES = ("pyproject.toml", "README.md", "collecte", "migrations", "labels")
SHIPPED_STOCKS = sorted(path.stem for path in (ROOT / "labels").glob("*.toml"))
MIGRATIONS = sorted(path.name for path in (ROOT / "migrations" / "collecte").glob("collecte_*.py"))
PASSWORD_LINE = re.compile(r"mot de passe : (\S+)")
NEW_STOCK = """\
name = "Rouleau 50 × 25"
page_width_mm = 50
page_height_mm = 25
rows = 1
columns = 1
label_width_mm = 50
label_height_mm = 25
margin_top_mm = 0
margin_left_mm = 0
gap_x_mm = 0
gap_y_mm = 0
"""


def run(command: list[str | Path], **options: object) -> subprocess.CompletedProcess[str]:
    """Run a command to its end; fail with its output if it fails."""
    done = subprocess.run(
        [str(part) for part in command],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        **options,  # type: ignore[call-overload]
    )
    assert done.returncode == 0, f"{command}:\n{done.stdout}\n{done.stderr}"
    return done


def offline_environment(**extra: str) -> dict[str, str]:
    """This process's environment without pip's or collecte's settings, nor PYTHONPATH."""
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("PIP_", "COLLECTE_", "PICCOLO_", "VIRTUAL_ENV"))
        and name != "PYTHONPATH"
    }
    # No configuration file either: no index, no constraints, only what the command names.
    return {**env, "PIP_CONFIG_FILE": os.devnull, "PYTHONUNBUFFERED": "1", **extra}


def ignore_build_litter(folder: str, names: list[str]) -> set[str]:
    """Leave caches and earlier builds behind when copying the sources."""
    return {name for name in names if name in {"__pycache__", "build"} or name.endswith(".pyc")}


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel, built offline from a copy of the sources (a build writes into its tree)."""
    source = tmp_path_factory.mktemp("source")
    for name in SOURCES:
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, source / name, ignore=ignore_build_litter)
        else:
            shutil.copy(ROOT / name, source / name)
    dist = tmp_path_factory.mktemp("dist")
    run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-index",
         "--no-build-isolation", "--wheel-dir", dist, source],
        env=offline_environment(),
    )  # fmt: skip
    (built,) = dist.glob("collecte-*.whl")
    return built


@pytest.fixture(scope="module")
def venv(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtualenv holding the wheel, the project's dependencies visible behind it."""
    venv = tmp_path_factory.mktemp("venv")
    run([sys.executable, "-m", "venv", "--without-pip", venv])
    python = venv / "bin" / "python"
    purelib = run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"])
    dependencies = {sysconfig.get_paths()[kind] for kind in ("purelib", "platlib")}
    (Path(purelib.stdout.strip()) / "project-dependencies.pth").write_text(
        "".join(f"{path}\n" for path in sorted(dependencies)), encoding="utf-8"
    )
    # pip comes from the project's virtualenv too, and installs into the one running it;
    # --ignore-installed: the project's editable collecte is not this one's to replace.
    run(
        [python, "-m", "pip", "install", "--quiet", "--no-deps", "--no-index",
         "--ignore-installed", "--no-warn-script-location", wheel],
        env=offline_environment(),
    )  # fmt: skip
    return venv


def test_the_wheel_holds_every_file_collecte_needs(wheel: Path) -> None:
    def under(folder: Path, prefix: str, pattern: str) -> set[str]:
        return {
            f"{prefix}/{path.relative_to(folder).as_posix()}"
            for path in folder.rglob(pattern)
            if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc"
        }

    expected = (
        under(ROOT / "collecte", "collecte", "*")
        | under(ROOT / "migrations" / "collecte", "collecte/migrations", "*.py")
        | under(ROOT / "labels", "collecte/stocks", "*")
    )
    shipped = set(zipfile.ZipFile(wheel).namelist())

    missing = sorted(expected - shipped)
    assert not missing, (
        "Not in the wheel (add the package to [tool.setuptools] packages, or the files to "
        f"package-data, in pyproject.toml): {missing}"
    )
    assert {f"collecte/stocks/{stock}.toml" for stock in SHIPPED_STOCKS} <= shipped
    assert not [name for name in shipped if name.startswith(("migrations/", "labels/", "tests/"))]


def test_the_virtualenv_runs_the_installed_package(venv: Path, tmp_path: Path) -> None:
    code = (
        "import collecte, collecte.db.piccolo_app as app, collecte.documents.label_stocks as s\n"
        "print(collecte.__file__)\n"
        "print(app.APP_CONFIG.migrations_folder_path)\n"
        "print(s.LABELS_DIR)"
    )

    done = run([venv / "bin" / "python", "-c", code], cwd=tmp_path, env=offline_environment())

    package, migrations, stocks = (Path(line) for line in done.stdout.splitlines())
    site = package.parent.parent
    assert package.resolve().is_relative_to(venv.resolve()), package
    assert migrations == site / "collecte" / "migrations"
    assert sorted(path.name for path in migrations.glob("collecte_*.py")) == MIGRATIONS
    assert stocks == site / "collecte" / "stocks"


@pytest.fixture
def server_log(tmp_path: Path) -> Iterator[Path]:
    """Where the server writes; shown when a test fails."""
    log = tmp_path / "serve.log"
    yield log
    if log.exists():
        print(log.read_text(encoding="utf-8", errors="replace"))


def test_the_installed_wheel_migrates_and_serves(
    venv: Path, tmp_path: Path, server_log: Path
) -> None:
    work = tmp_path / "work"
    work.mkdir()
    own_stocks = tmp_path / "stocks"
    own_stocks.mkdir()
    database = work / "collecte.sqlite3"
    port = free_port()
    env = offline_environment(
        COLLECTE_DATABASE_URL=f"sqlite:///{database}",
        COLLECTE_PUBLIC_URL=f"http://{HOST}:{port}",
        COLLECTE_LABELS_DIR=str(own_stocks),
    )
    collecte = venv / "bin" / "collecte"

    migrated = run([collecte, "migrate"], cwd=work, env=env)

    assert "Base de données à jour." in migrated.stdout
    with sqlite3.connect(database) as connection:
        applied = connection.execute("SELECT count(*) FROM migration").fetchone()[0]
        devices = connection.execute("SELECT count(*) FROM device").fetchone()[0]
    assert (applied, devices) == (len(MIGRATIONS), 0)

    with server_log.open("wb") as log:
        server = subprocess.Popen(
            [str(collecte), "serve", "--host", HOST, "--port", str(port)],
            cwd=work,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    try:
        base = f"http://{HOST}:{port}"
        with httpx.Client(base_url=base, timeout=10) as client:
            wait_for_health(client, server)
            output = server_log.read_text(encoding="utf-8")
            (password,) = PASSWORD_LINE.findall(output)
            login = client.post(
                "/api/auth/login",
                json={"email": "coordination@collecte.local", "password": password},
            )
            assert login.status_code == 200, login.text
            # The printed password is provisional: its first use is to choose one's own.
            assert login.json()["password_change_required"] is True
            changed = client.post(
                "/api/auth/password",
                json={"current": password, "new": "la-coordination-choisit-le-sien"},
                headers={"Authorization": f"Bearer {login.json()['access_token']}"},
            )
            assert changed.status_code == 200, changed.text
            headers = {"Authorization": f"Bearer {changed.json()['access_token']}"}

            shipped = client.get("/api/labels/formats", headers=headers)
            # The operator's folder: a new stock, and a shipped one recalibrated (read on change).
            (own_stocks / "rouleau-50x25.toml").write_text(NEW_STOCK, encoding="utf-8")
            recalibrated = (
                (ROOT / "labels" / "avery-l7160.toml")
                .read_text(encoding="utf-8")
                .replace("offset_x_mm = 0", "offset_x_mm = 1.5")
            )
            (own_stocks / "avery-l7160.toml").write_text(recalibrated, encoding="utf-8")
            extended = client.get("/api/labels/formats", headers=headers)
            page = client.get("/connexion")
            stylesheet = client.get("/static/app.css")
    finally:
        server.send_signal(signal.SIGINT)
        try:
            stopped = server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
            raise

    assert stopped == 0
    assert "Premier compte de coordination créé" in output
    assert shipped.status_code == 200, shipped.text
    assert [f["id"] for f in shipped.json()["formats"]] == SHIPPED_STOCKS
    assert shipped.json()["errors"] == []
    assert extended.status_code == 200, extended.text
    stocks = {f["id"]: f for f in extended.json()["formats"]}
    assert sorted(stocks) == sorted([*SHIPPED_STOCKS, "rouleau-50x25"])
    assert stocks["rouleau-50x25"]["name"] == "Rouleau 50 × 25"
    assert stocks["avery-l7160"]["offset_x_mm"] == 1.5
    assert stocks["avery-l7161"]["offset_x_mm"] == 0
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert 'name="password"' in page.text
    assert stylesheet.status_code == 200
    assert stylesheet.headers["content-type"].startswith("text/css")
    assert stylesheet.content == (ROOT / "collecte" / "web" / "static" / "app.css").read_bytes()


def wait_for_health(client: httpx.Client, server: subprocess.Popen[bytes]) -> None:
    """Wait until `/health` answers 200; fail at once if the server stopped."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert server.poll() is None, f"collecte serve stopped ({server.returncode})"
        try:
            if client.get("/health").status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise AssertionError("/health did not answer 200 within 30 s")
