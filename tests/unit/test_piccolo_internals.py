"""The Piccolo internals collecte builds on, checked so a new release cannot change them unseen.

`collecte.db` subclasses Piccolo's SQLite engine and transaction, replaces some of their methods
with its own copies, and calls private methods of the PostgreSQL engine; Piccolo is pinned to one
release in pyproject.toml for that reason. Each internal relied on is recorded here by the
SHA-256 of its source. When one of these tests fails after an upgrade: read the new source, bring
the collecte code named in the message in line with it, then record the new hash.
"""

from __future__ import annotations

import contextvars
import hashlib
import inspect
import threading
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from typing import Any

import aiosqlite
import asyncpg
import pytest
from piccolo.apps.migrations.commands.base import BaseMigrationManager
from piccolo.apps.migrations.commands.forwards import run_forwards
from piccolo.conf.apps import Finder
from piccolo.engine.postgres import PostgresEngine, PostgresTransaction
from piccolo.engine.sqlite import SQLiteEngine, SQLiteTransaction, TransactionType, dict_factory
from piccolo.querystring import QueryString
from piccolo.table import TableMeta

from collecte.db.postgres import CollectePostgresEngine, _PostgresTransaction
from collecte.db.sqlite import CollecteSQLiteEngine, _SQLiteTransaction

ROOT = Path(__file__).resolve().parent.parent.parent
SQLITE = "collecte/db/sqlite.py"
ENGINE = "collecte/db/engine.py"
POSTGRES = "collecte/db/postgres.py"


@dataclass(frozen=True)
class Internal:
    """Something of Piccolo's (or its driver's) that collecte relies on, and the code to review."""

    name: str
    target: Callable[..., Any] | property
    sha256: str
    review: str


INTERNALS = [
    # The SQLite transaction: collecte's subclass keeps Piccolo's flow (__aenter__: connection,
    # then begin, then the context variable) and replaces __aexit__ with a copy that never leaks
    # its connection.
    Internal(
        "SQLiteTransaction.__init__",
        SQLiteTransaction.__init__,
        "dda6f972c1b43ed3bd3d97b5ce408c8f4122e2a3b6e31269b734e558fc6440c0",
        f"{SQLITE}: _SQLiteTransaction reads _parent, _committed and _rolled_back",
    ),
    Internal(
        "SQLiteTransaction.__aenter__",
        SQLiteTransaction.__aenter__,
        "579894a54e56b9a89ff3f9bdfcc770a48b6aff4c3448935a5ae1a0bc562e3f21",
        f"{SQLITE}: _SQLiteTransaction.get_connection/begin/__aexit__ rely on its order",
    ),
    Internal(
        "SQLiteTransaction.get_connection",
        SQLiteTransaction.get_connection,
        "590a4900ca03dd211c264105f967d5630bee3d407de8406ad4f668b70d1e1bf2",
        f"{SQLITE}: _SQLiteTransaction.get_connection overrides it",
    ),
    Internal(
        "SQLiteTransaction.begin",
        SQLiteTransaction.begin,
        "6fa2d66d2207fce29a47aa54711f49790cfdbb898250b34cf704b08f7e6fac9b",
        f"{SQLITE}: _SQLiteTransaction.begin wraps it",
    ),
    Internal(
        "SQLiteTransaction.commit",
        SQLiteTransaction.commit,
        "e598b183cd8e2bac478173cc23d174b88c347775091dd59a2727962513ccc0e2",
        f"{SQLITE}: _SQLiteTransaction.__aexit__ calls it and reads _committed",
    ),
    Internal(
        "SQLiteTransaction.rollback",
        SQLiteTransaction.rollback,
        "4c373d88880f4ade107f0ebdcbcfe593b57e5250f01fa6ac6eb79a73988ab710",
        f"{SQLITE}: _SQLiteTransaction.__aexit__ calls it and reads _rolled_back",
    ),
    Internal(
        "SQLiteTransaction.__aexit__",
        SQLiteTransaction.__aexit__,
        "08149562d0e1db2e2c2c57396b4263d33beaecc85db2a674f8f391b9770a55a5",
        f"{SQLITE}: _SQLiteTransaction.__aexit__ is a copy of it that never leaks a connection",
    ),
    # The SQLite engine.
    Internal(
        "SQLiteEngine.__init__",
        SQLiteEngine.__init__,
        "23491854d9608c252ef5f55e56cad02ca431176b884c1da490000f525f34066b",
        f"{SQLITE}: CollecteSQLiteEngine passes path and connection_kwargs, and reads "
        "connection_kwargs and current_transaction",
    ),
    Internal(
        "SQLiteEngine.get_connection",
        SQLiteEngine.get_connection,
        "ffdb78ae7c58b2c29e2038af6bc74e12c9f50f28adb96f29bfd8b4fba210659b",
        f"{SQLITE}: CollecteSQLiteEngine.get_connection wraps it and writer_connection copies it",
    ),
    Internal(
        "SQLiteEngine._run_in_new_connection",
        SQLiteEngine._run_in_new_connection,
        "b1d06d9de80697ec927ce63bd5503c37eb5dd3b34da17fcf79fa3f4e96f25d8d",
        "collecte/db/migrate.py: prepare_sqlite calls it; CollecteSQLiteEngine wraps it",
    ),
    Internal(
        "SQLiteEngine._run_in_existing_connection",
        SQLiteEngine._run_in_existing_connection,
        "0cd1e6dc5537338873291a245df9f9e89cfe6131c27f82639dc17b1e45298f0d",
        f"{SQLITE}: CollecteSQLiteEngine._run_in_existing_connection replaces it",
    ),
    Internal(
        "SQLiteEngine.run_querystring",
        SQLiteEngine.run_querystring,
        "daa84d07b7abc88b4a88794c20666e2e34c5586174e7f3caaca979b169d2b838",
        f"{SQLITE}: CollecteSQLiteEngine._run_in_existing_connection is called from it",
    ),
    Internal(
        "SQLiteEngine.run_ddl",
        SQLiteEngine.run_ddl,
        "dfda8cdf8740d80f9e2b456b85bca4a7574aec70c00de9101acf698f9f455b32",
        f"{SQLITE}: CollecteSQLiteEngine._run_in_existing_connection is called from it",
    ),
    Internal(
        "SQLiteEngine.transaction",
        SQLiteEngine.transaction,
        "c69ee1e28f2875df831ec28328b92255f289e16221c7437cbce5e95fac858694",
        f"{SQLITE}: CollecteSQLiteEngine.transaction replaces it",
    ),
    Internal(
        "dict_factory",
        dict_factory,
        "bb1321c7bf1dcd14aba45ed1d97a19b4872e48bbf48dae0ed53e4ea15fdc0d9b",
        f"{SQLITE}: CollecteSQLiteEngine.writer_connection sets it as the row factory",
    ),
    # The PostgreSQL engine: collecte.db.engine.fetch takes Piccolo's path for a query (current
    # transaction's connection, else the pool, else a new connection) without its query building.
    Internal(
        "PostgresEngine.__init__",
        PostgresEngine.__init__,
        "16b9372abc7f81fedb99d979c7ffacb94d7dd417ddc0df7b3c98b5f2bcfa1297",
        f"{ENGINE}: start_pool(), close_pool() and fetch() read pool and current_transaction",
    ),
    Internal(
        "PostgresEngine.run_querystring",
        PostgresEngine.run_querystring,
        "348d22aa818ace11c94827b6bcf9db9bc70452e1730c3d1beb579c8658cb7595",
        f"{ENGINE}: fetch() follows the same path",
    ),
    Internal(
        "PostgresEngine._run_in_pool",
        PostgresEngine._run_in_pool,
        "f14a5a8f651202d5d350c3d7780840522716a2f1827fc1a381f6980f3ae66898",
        f"{ENGINE}: fetch() calls it; {POSTGRES}: CollectePostgresEngine._run_in_pool copies it "
        "with the acquire timeout",
    ),
    Internal(
        "PostgresEngine._run_in_new_connection",
        PostgresEngine._run_in_new_connection,
        "c3111c73e553c6f194d60ad820bc5dc01ed931e3ca77280cbb0914a603744712",
        f"{ENGINE}: fetch() calls it",
    ),
    Internal(
        "PostgresEngine.start_connection_pool",
        PostgresEngine.start_connection_pool,
        "fa2329285f06e1ee342a5047d9aec23608d68016bfa78fc08b6a8037fd1ee252",
        f"{ENGINE}: start_pool() passes asyncpg's reset= through it and reads pool",
    ),
    Internal(
        "PostgresEngine.close_connection_pool",
        PostgresEngine.close_connection_pool,
        "e656cef0cf3ef7efd15e86d8be15cd04d11815141dd776c62cc234f230519d44",
        f"{ENGINE}: close_pool() closes the pool itself, bounded, and sets pool back to None",
    ),
    Internal(
        "PostgresEngine.get_new_connection",
        PostgresEngine.get_new_connection,
        "3ba07deca00e7730a4dea935559953e0681c04098b9510db63f210fa37e20038",
        "collecte/db/migrate.py: migrate() holds its advisory lock on such a connection",
    ),
    # The PostgreSQL transaction: collecte's subclass keeps Piccolo's flow and replaces
    # __aenter__ and __aexit__ with copies that give the connection back on every path.
    Internal(
        "PostgresTransaction.__init__",
        PostgresTransaction.__init__,
        "158de27c56a8e3ef1216fbce2c90e8cee0ccfb79943860beb5f58893d1f50077",
        f"{POSTGRES}: _PostgresTransaction reads _parent, _committed and _rolled_back",
    ),
    Internal(
        "PostgresTransaction.__aenter__",
        PostgresTransaction.__aenter__,
        "60718be475b058d71c088969a1a53f67996058e325e34c341d5546ec13c36e33",
        f"{POSTGRES}: _PostgresTransaction.__aenter__ copies it, giving the connection back "
        "when BEGIN fails",
    ),
    Internal(
        "PostgresTransaction.get_connection",
        PostgresTransaction.get_connection,
        "3aefba0a60207c0d5a4ecd8930c7f1751f1c68574f49c93c9033fe97a502b3f8",
        f"{POSTGRES}: _PostgresTransaction.get_connection overrides it (with the acquire timeout)",
    ),
    Internal(
        "PostgresTransaction.begin",
        PostgresTransaction.begin,
        "66104413ce2a9c4cad0d353323e50c087cac46921ede94dab360cf833a9628d9",
        f"{POSTGRES}: _PostgresTransaction.__aenter__ calls it",
    ),
    Internal(
        "PostgresTransaction.commit",
        PostgresTransaction.commit,
        "64ef1004b1a83c38569564cac96f2867f6d148b5ddefaa1397348a8d6e6765a4",
        f"{POSTGRES}: _PostgresTransaction.__aexit__ calls it and reads _committed",
    ),
    Internal(
        "PostgresTransaction.rollback",
        PostgresTransaction.rollback,
        "f0e4214b352f07461a1a226c425b78908fdc3901e42335fea8a96e6c8a4d6ecc",
        f"{POSTGRES}: _PostgresTransaction.__aexit__ calls it and reads _rolled_back",
    ),
    Internal(
        "PostgresTransaction.__aexit__",
        PostgresTransaction.__aexit__,
        "d0402b41941d3b79d28650ed7a7eca0c2932e850c935abf6a4dbfff4ddd647b3",
        f"{POSTGRES}: _PostgresTransaction.__aexit__ copies it, never leaking the connection",
    ),
    Internal(
        "PostgresEngine.transaction",
        PostgresEngine.transaction,
        "a1b739ed5b51d5537ce58bfa0e171511bf73346cbdac15ba49669da70c682b33",
        f"{POSTGRES}: CollectePostgresEngine.transaction replaces it",
    ),
    # Query strings, tables, configuration and migrations.
    Internal(
        "QueryString.compile_string",
        QueryString.compile_string,
        "b45ce6eeedca0307e2db10304fc9d66eea2bde86a69962882f95b75a931a576c",
        "collecte/db/device_sql.py: _numbered() numbers placeholders with it",
    ),
    Internal(
        "TableMeta.db",
        TableMeta.db,
        "b9de8ada3c8e81fed2ab7a4273c167da279a34f051f4327ee831d8c6271ed03b",
        f"{ENGINE}: use_engine() sets it on every table, current_engine() reads it",
    ),
    Internal(
        "Finder.get_engine",
        Finder.get_engine,
        "ba0c9eb4b90cc6e54eddbe08d85bb35911db249c4c5e3a4014cc0d7e6109431d",
        "collecte/db/piccolo_conf.py: DB is a module __getattr__, read with getattr()",
    ),
    Internal(
        "BaseMigrationManager.get_migration_modules",
        BaseMigrationManager.get_migration_modules,
        "a10d7f9cec94e685db4a4ae187dfe8a49d2dc387a7be5486f72e9e775f72933e",
        "collecte/db/piccolo_app.py: the installed package collecte.migrations must be a "
        "folder on disk that this imports from",
    ),
    Internal(
        "run_forwards",
        run_forwards,
        "e81dc3726a7d4d994e198743bd5c8b89f2f3c80ddfe0c4d04feae927522e9698",
        "collecte/db/migrate.py: migrate() calls it and reads success and message",
    ),
    # Piccolo's SQLite driver.
    Internal(
        "aiosqlite.Connection.__init__",
        aiosqlite.Connection.__init__,
        "3aed416ac99323f1df06749851cebf16d34877b4bd38dc76f1f730e5a0809eac",
        f"{SQLITE}: CollecteSQLiteEngine.writer_connection marks _thread as a daemon",
    ),
]


def source_sha256(target: Callable[..., Any] | property) -> str:
    """The SHA-256 of a function's source, or of a property's getter and setter."""
    if isinstance(target, property):
        source = "".join(inspect.getsource(part) for part in (target.fget, target.fset) if part)
    else:
        source = inspect.getsource(target)
    return hashlib.sha256(source.encode()).hexdigest()


def test_the_installed_piccolo_is_the_pinned_release() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    (pin,) = [d for d in pyproject["project"]["dependencies"] if d.startswith("piccolo[")]

    assert pin.endswith(f"=={version('piccolo')}"), (
        f"pyproject.toml pins {pin!r} but Piccolo {version('piccolo')} is installed: run "
        "`make lock` then `make install`, and let the tests below say what changed."
    )


@pytest.mark.parametrize("internal", INTERNALS, ids=lambda internal: internal.name)
def test_an_internal_relied_on_is_unchanged(internal: Internal) -> None:
    actual = source_sha256(internal.target)

    assert actual == internal.sha256, (
        f"Piccolo {version('piccolo')} (aiosqlite {version('aiosqlite')}) changed "
        f"{internal.name} (source SHA-256 {actual}, recorded {internal.sha256}). Review "
        f"{internal.review}; then record the new SHA-256 in {Path(__file__).name}."
    )


@pytest.mark.parametrize(
    ("ours", "theirs"),
    [
        (_SQLiteTransaction.get_connection, SQLiteTransaction.get_connection),
        (_SQLiteTransaction.begin, SQLiteTransaction.begin),
        (_SQLiteTransaction.__aexit__, SQLiteTransaction.__aexit__),
        (CollecteSQLiteEngine.get_connection, SQLiteEngine.get_connection),
        (
            CollecteSQLiteEngine._run_in_existing_connection,
            SQLiteEngine._run_in_existing_connection,
        ),
        (CollecteSQLiteEngine.transaction, SQLiteEngine.transaction),
        (_PostgresTransaction.get_connection, PostgresTransaction.get_connection),
        (_PostgresTransaction.__aexit__, PostgresTransaction.__aexit__),
        (CollectePostgresEngine.transaction, PostgresEngine.transaction),
        (CollectePostgresEngine._run_in_pool, PostgresEngine._run_in_pool),
    ],
    ids=lambda method: method.__qualname__,
)
def test_an_override_takes_the_arguments_piccolo_passes(
    ours: Callable[..., Any], theirs: Callable[..., Any]
) -> None:
    expected = list(inspect.signature(theirs).parameters)

    assert list(inspect.signature(ours).parameters) == expected, (
        f"Piccolo's {theirs.__qualname__} now takes {expected}: update {SQLITE}, which "
        f"overrides it as {ours.__qualname__}{inspect.signature(ours)}."
    )


def test_the_attributes_collecte_reads_exist(tmp_path: Path) -> None:
    path = str(tmp_path / "unused.sqlite3")
    engine = CollecteSQLiteEngine(path=path, timeout=5)
    transaction = engine.transaction(TransactionType.immediate)
    writer = engine.writer_transaction()

    # Nothing here opens a connection: the file is never created.
    assert engine.connection_kwargs["database"] == path
    assert engine.connection_kwargs["timeout"] == 5
    assert isinstance(engine.current_transaction, contextvars.ContextVar)
    assert isinstance(transaction, _SQLiteTransaction)
    assert isinstance(writer, _SQLiteTransaction)
    for made in (transaction, writer):
        assert (made._parent, made._committed, made._rolled_back) == (None, False, False)
        assert made.engine is engine
    assert (transaction.shared_writer, writer.shared_writer) == (False, True)
    assert writer.transaction_type is TransactionType.immediate
    assert {"context", "connection"} <= set(SQLiteTransaction.__slots__)
    assert "connection" in PostgresTransaction.__slots__
    assert "pool" in PostgresEngine.__slots__  # an instance would connect to read the version
    assert "reset" in inspect.signature(asyncpg.create_pool).parameters
    assert not (tmp_path / "unused.sqlite3").exists()


def test_aiosqlite_creates_its_thread_unstarted() -> None:
    connection = aiosqlite.connect(":memory:")  # not awaited: nothing is opened

    assert isinstance(connection._thread, threading.Thread)
    assert not connection._thread.is_alive()  # so it can still be made a daemon


def test_query_string_numbers_placeholders_for_postgres() -> None:
    sql, args = QueryString("a = {} AND b IN ({}, {})", 1, "x", None).compile_string(
        engine_type="postgres"
    )

    assert (sql, list(args)) == ("a = $1 AND b IN ($2, $3)", [1, "x", None])
