"""A real collecte server in a subprocess, on a database of its own.

Used by the crash test, the fuzzing and `make bench` (bench/bench_load.py): the server is started
exactly as `collecte serve` starts it (migrations, then uvicorn with one worker, or `workers`), on
127.0.0.1 and a free port, and can be stopped, killed with SIGKILL and started again on the same
database.
"""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from urllib.parse import urlparse, urlunparse

import asyncpg
import httpx
from piccolo.engine.base import Engine

from collecte.db.engine import close_pool, current_engine, engine_for, start_pool, use_engine
from collecte.db.migrate import migrate

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


class LiveServer:
    """`collecte serve` in a subprocess; its output goes to `log_path`."""

    def __init__(
        self,
        database_url: str,
        log_path: Path,
        secret_key: str,
        extra_env: dict[str, str] | None = None,
        workers: int = 1,
    ) -> None:
        self.database_url = database_url
        self.workers = workers
        self.log_path = log_path
        self.secret_key = secret_key
        self.extra_env = extra_env or {}
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """The server's base address."""
        return f"http://{HOST}:{self.port}"

    def start(self, timeout: float = 60) -> None:
        """Start the server and wait until `/health` answers 200 (bounded by `timeout`)."""
        env = {
            **os.environ,
            "COLLECTE_DATABASE_URL": self.database_url,
            "COLLECTE_SECRET_KEY": self.secret_key,
            "COLLECTE_PUBLIC_URL": self.url,
            "PYTHONUNBUFFERED": "1",
            **self.extra_env,
        }
        command = [sys.executable, "-m", "collecte.cli", "serve", "--host", HOST]
        if self.workers > 1:
            command += ["--workers", str(self.workers)]
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                [*command, "--port", str(self.port)],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                # Its own process group, so kill() takes down with it the workers and the
                # processes rendering certificates, as a crash of the machine would.
                start_new_session=True,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the server exited ({self.process.returncode}):\n{self.log()}")
            try:
                if httpx.get(f"{self.url}/health", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"the server did not answer within {timeout} s:\n{self.log()}")

    def kill(self) -> None:
        """SIGKILL: the process dies at once, mid-request, without any clean-up."""
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)
        self.process = None

    def stop(self) -> None:
        """SIGTERM, then SIGKILL if it has not exited after 10 s."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()
        self.process = None

    def log(self, last: int = 4000) -> str:
        """The end of the server's output."""
        try:
            return self.log_path.read_text(errors="replace")[-last:]
        except FileNotFoundError:
            return ""

    def __enter__(self) -> LiveServer:
        self.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()


@contextmanager
def running(server: LiveServer) -> Iterator[LiveServer]:
    """Start `server`, and stop it whatever happens."""
    try:
        server.start()
        yield server
    finally:
        server.stop()


def _with_database(url: str, name: str) -> str:
    return urlunparse(urlparse(url)._replace(path=f"/{name}"))


@asynccontextmanager
async def dedicated_database(
    backend: str, workdir: Path, postgres_url: str | None, pool: bool = False
) -> AsyncIterator[str]:
    """A new migrated database (a SQLite file, or a PostgreSQL database created then dropped).

    Inside the block the tables point at it, so tests and benchmarks can seed and inspect it
    with the services and tables; the previous engine is put back afterwards.
    """
    previous = current_engine()
    admin = None
    name = f"collecte_live_{os.getpid()}_{secrets.token_hex(3)}"
    if backend == "sqlite":
        url = f"sqlite:///{workdir / (name + '.sqlite3')}"
    else:
        if not postgres_url:
            raise RuntimeError("no PostgreSQL URL given")
        admin = await asyncpg.connect(postgres_url)
        await admin.execute(f'CREATE DATABASE "{name}"')
        url = _with_database(postgres_url, name)
    engine: Engine = engine_for(url)
    try:
        await migrate(engine)
        if pool:
            await start_pool(engine, 1, 4)
        yield url
    finally:
        await close_pool(engine)
        use_engine(previous)
        if admin is not None:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            await admin.close()
