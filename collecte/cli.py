"""The `collecte` command: serve, migrate, create-user, demo, labels, purge, backup."""

from __future__ import annotations

import argparse
import asyncio
import gc
import sys
import warnings
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from piccolo.engine.base import Engine

from collecte.db.engine import close_pool, engine_for, start_pool
from collecte.db.migrate import migrate
from collecte.db.startup import check_database_url, explain
from collecte.domain.errors import DomainError
from collecte.domain.vocabulary import Role
from collecte.settings import Settings, load_settings

if TYPE_CHECKING:
    from collecte.web.edge import SignInShedding


async def _with_database(
    settings: Settings, work: Callable[[], Awaitable[Any]], *, migrate_first: bool = True
) -> Any:
    """Migrate the configured database, then run `work` against it."""
    engine = await open_database(settings)
    try:
        return await work()
    finally:
        await close_pool(engine)


async def open_database(settings: Settings) -> Engine:
    """The configured database, migrated and ready; a plain message and exit status 1 when it
    cannot be opened for a reason the operator can fix."""
    check_database_url(settings.database_url)
    with warnings.catch_warnings():
        # Piccolo warns when it cannot read the server's version: the error below says why.
        warnings.filterwarnings("ignore", message=".*Unable to (fetch server version|connect)")
        engine = engine_for(settings.database_url)
    try:
        await migrate(engine)
        await start_pool(engine, 1, 4, settings.db_timeouts)
    except Exception as error:
        await close_pool(engine)
        cause: BaseException | None = error
        while cause is not None:
            explained = explain(cause, settings.database_url)
            if explained is not None:
                raise explained from None
            cause = cause.__cause__ or cause.__context__
        raise
    return engine


# The app factory each worker process imports when `serve` runs several (uvicorn starts them
# fresh, so they build their own app from the same environment as this process).
WORKER_APP = "collecte.cli:worker_app"
# Seconds the requests in flight get to finish after SIGTERM, so a stop takes at most this plus
# the pool's closing, well within the 10 s a supervisor (systemd, Docker) waits before SIGKILL.
GRACEFUL_SHUTDOWN_S = 5


def _freeze_heap() -> None:
    # Everything loaded so far lives as long as the process: out of the collector's sight, a
    # full collection no longer walks it, which paused every request in flight for 20–40 ms.
    gc.collect()
    gc.freeze()


def _served_app(settings: Settings) -> SignInShedding:
    """The application as served: the app, behind the layer that sheds sign-in storms."""
    from collecte.web.app import create_app
    from collecte.web.edge import SignInShedding

    app = SignInShedding(create_app(settings))
    _freeze_heap()
    return app


def worker_app() -> SignInShedding:
    """The application one worker process serves, its settings read from the environment."""
    return _served_app(load_settings())


def sqlite_workers_refusal(workers: int) -> str:
    """Why `serve` refuses several processes on SQLite, and what to do instead."""
    return (
        f"Plusieurs processus (--workers {workers}) demandent PostgreSQL : avec SQLite, un seul "
        "processus peut écrire à la fois.\n"
        "Passez à PostgreSQL (COLLECTE_DATABASE_URL=postgresql://…) ou servez avec un seul "
        "processus (--workers 1 ou COLLECTE_WORKERS=1)."
    )


async def _prepare_first_start() -> tuple[str, str] | None:
    """What must happen once, before any worker serves: the first coordinator and the signing
    key (each worker reads the key from the database, so all accept each other's tokens)."""
    from collecte.services.accounts import ensure_first_coordinator, signing_secret

    created = await ensure_first_coordinator()
    await signing_secret()
    return created


def _serve(args: argparse.Namespace, settings: Settings) -> int:
    import uvicorn

    workers = args.workers if args.workers is not None else settings.workers
    # SQLite serialises writers inside one process (collecte.db.transactions); several
    # processes would fight over the file's lock and answer "database is locked".
    if workers > 1 and not settings.is_postgres:
        print(sqlite_workers_refusal(workers), file=sys.stderr)
        return 2
    from collecte.domain.impact_factors import check_impact_factors

    check_impact_factors()  # before the database: a bad factors file is the operator's to fix
    # Migrations, the first account and the signing key: once, here, before any worker starts.
    created = asyncio.run(_with_database(settings, _prepare_first_start))
    if created:
        email, password = created
        print(
            "\nPremier compte de coordination créé (mot de passe affiché une seule fois) :\n"
            f"  e-mail       : {email}\n"
            f"  mot de passe : {password}\n",
            flush=True,
        )
    processes = f", {workers} processus" if workers > 1 else ""
    print(
        f"collecte : http://{args.host}:{args.port}  (documentation de l’API : /schema){processes}",
        flush=True,
    )
    if workers > 1:
        uvicorn.run(
            WORKER_APP,
            factory=True,
            workers=workers,
            host=args.host,
            port=args.port,
            log_level="info",
            timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_S,
        )
        return 0
    uvicorn.run(
        _served_app(settings),
        host=args.host,
        port=args.port,
        log_level="info",
        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_S,
    )
    return 0


def _migrate(_: argparse.Namespace, settings: Settings) -> int:
    async def nothing() -> None:
        return None

    asyncio.run(_with_database(settings, nothing))
    print("Base de données à jour.")
    return 0


def _create_user(args: argparse.Namespace, settings: Settings) -> int:
    from collecte.services.accounts import (
        FIRST_ORGANIZATION,
        add_user,
        find_or_create_organization,
    )

    role = Role(args.role)
    organization_name = args.organization or (
        FIRST_ORGANIZATION if role is Role.COORDINATOR else None
    )
    if not organization_name:
        print("--organization est obligatoire pour ce rôle.", file=sys.stderr)
        return 2

    async def work() -> dict[str, Any]:
        organization = await find_or_create_organization(organization_name, role)
        # Whoever runs the command chose the password: the user replaces it at first sign-in.
        return await add_user(
            organization, args.email, args.password, args.full_name or "", provisional=True
        )

    user = asyncio.run(_with_database(settings, work))
    print(f"Compte créé : {user['email']} ({user['role']}, {user['organization_name']}).")
    return 0


def _demo(args: argparse.Namespace, settings: Settings) -> int:
    from collecte.demo import load_demo

    summary = asyncio.run(_with_database(settings, lambda: load_demo(args.devices)))
    print(summary)
    return 0


def _labels(args: argparse.Namespace, settings: Settings) -> int:
    from collecte.services import labels

    if args.formats:
        found = labels.list_formats(settings)
        for fmt in found["formats"]:
            print(f"{fmt['id']:<20} {fmt['per_page']:>3} par page  {fmt['name']}")
        for error in found["errors"]:
            print(f"Fichier ignoré : {error}", file=sys.stderr)
        return 0
    if not args.output:
        print("-o/--output est obligatoire (« - » pour la sortie standard).", file=sys.stderr)
        return 2
    target = None if args.output == "-" else Path(args.output)
    if target is not None and not target.parent.is_dir():
        print(f"Dossier introuvable : {target.parent}", file=sys.stderr)
        return 2

    async def work() -> labels.LabelsPdf:
        # The command line acts as the first coordinator, who may do both.
        principal = await labels.first_coordinator()
        if args.donation:
            donation_id = await labels.donation_id_for_number(args.donation)
            return await labels.donation_labels(
                principal, settings, donation_id, args.format, args.skip
            )
        return await labels.reserve_blank_tags(
            principal, settings, args.blank, args.format, args.skip
        )

    result: labels.LabelsPdf = asyncio.run(_with_database(settings, work))
    if target is None:
        sys.stdout.buffer.write(result.content)
        sys.stdout.buffer.flush()
    else:
        target.write_bytes(result.content)
        print(
            f"{result.count} étiquette(s) au format {result.format_id} : {target}", file=sys.stderr
        )
    return 0


def _purge(_: argparse.Namespace, settings: Settings) -> int:
    from collecte.services.housekeeping import purge_expired, retentions
    from collecte.services.tally_folding import fold_closed_periods

    async def both() -> tuple[Any, int]:
        return await purge_expired(settings), await fold_closed_periods()

    # One opening of the database (and its migration check) for both.
    purged, folded = asyncio.run(_with_database(settings, both))
    answers, attempts = retentions(settings)
    print(
        f"{purged.idempotency_records} réponse(s) rejouables de plus de {answers.days} jour(s), "
        f"{purged.login_attempts} tentative(s) de connexion de plus de {attempts.days} jour(s), "
        f"{purged.sessions} session(s) terminées depuis plus de {attempts.days} jour(s) et "
        f"{purged.security_log} entrée(s) du journal de sécurité de plus d’un an supprimées."
    )
    print(
        f"Totaux : {folded} jour(s), mois ou année(s) terminés regroupés en une ligne par chiffre."
    )
    return 0


def _rotate_key(_: argparse.Namespace, settings: Settings) -> int:
    from collecte.services.accounts import rotate_signing_key

    ended = asyncio.run(_with_database(settings, lambda: rotate_signing_key(settings)))
    print(
        f"Clé de signature renouvelée ; {ended} session(s) terminée(s) : chacun se reconnecte.\n"
        "Redémarrez maintenant chaque processus du service (il garde la clé lue au démarrage)."
    )
    return 0


def _backup(args: argparse.Namespace, settings: Settings) -> int:
    from collecte.db.backup import backup_postgres, backup_sqlite

    dest = Path(args.dest)
    if settings.is_postgres:
        written = backup_postgres(settings.database_url, dest)
        print(f"Sauvegarde PostgreSQL (pg_dump -Fc) : {written}")
        print(f"Restauration : pg_restore --clean --if-exists --no-owner -d <base> {written}")
    else:
        written = backup_sqlite(settings.database_url, dest)
        print(f"Sauvegarde SQLite : {written}")
        print("Restauration : service arrêté, copier ce fichier à la place de la base.")
    return 0


def _worker_count(raw: str) -> int:
    try:
        count = int(raw)
    except ValueError:
        count = 0
    if count < 1:
        raise argparse.ArgumentTypeError(
            f"un nombre entier d’au moins 1 est attendu (reçu « {raw} »)"
        )
    return count


def build_parser() -> argparse.ArgumentParser:
    """The command line's grammar."""
    parser = argparse.ArgumentParser(prog="collecte", description="La Grande Collecte Numérique")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="appliquer les migrations puis servir l’API")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument(
        "--workers",
        type=_worker_count,
        metavar="N",
        help="processus serveurs, PostgreSQL au-delà de 1 (défaut : COLLECTE_WORKERS, sinon 1)",
    )
    serve.set_defaults(run=_serve)
    commands.add_parser("migrate", help="appliquer les migrations").set_defaults(run=_migrate)
    user = commands.add_parser("create-user", help="créer un compte")
    user.add_argument("--email", required=True)
    user.add_argument("--password", required=True)
    user.add_argument("--role", required=True, choices=[r.value for r in Role])
    user.add_argument("--organization", help="nom de l’organisation (créée si absente)")
    user.add_argument("--full-name", dest="full_name")
    user.set_defaults(run=_create_user)
    demo = commands.add_parser("demo", help="charger des données fictives de démonstration")
    demo.add_argument("--devices", type=int, default=300)
    demo.set_defaults(run=_demo)
    labels = commands.add_parser(
        "labels", help="imprimer les étiquettes QR d’un don, ou des étiquettes vierges"
    )
    what = labels.add_mutually_exclusive_group(required=True)
    what.add_argument("--donation", metavar="LOT-AAAA-NNNNN", help="les appareils de ce don")
    what.add_argument(
        "--blank", type=int, metavar="N", help="réserver N étiquettes vierges (1 à 1000)"
    )
    what.add_argument("--formats", action="store_true", help="lister les formats de labels/")
    labels.add_argument("--format", help="identifiant du format (défaut : avery-l7160)")
    labels.add_argument(
        "--skip", type=int, default=0, help="positions déjà utilisées en haut de la planche"
    )
    labels.add_argument("-o", "--output", help="fichier PDF à écrire (« - » : sortie standard)")
    labels.set_defaults(run=_labels)
    commands.add_parser(
        "purge", help="supprimer les réponses rejouables et tentatives de connexion expirées"
    ).set_defaults(run=_purge)
    backup = commands.add_parser(
        "backup", help="copier la base de données, même pendant que le service tourne"
    )
    backup.add_argument("dest", metavar="DEST", help="fichier à créer, ou dossier (fichier daté)")
    backup.set_defaults(run=_backup)
    commands.add_parser(
        "rotate-key",
        help="renouveler la clé qui signe les jetons (toutes les sessions se terminent)",
    ).set_defaults(run=_rotate_key)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line."""
    args = build_parser().parse_args(argv)
    try:
        return int(args.run(args, load_settings()))
    except DomainError as error:
        print(f"Erreur : {error.message}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
