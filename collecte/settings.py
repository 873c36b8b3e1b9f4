"""Configuration from the environment; every variable is optional."""

from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass, field, replace
from pathlib import Path

from collecte.domain.vocabulary import MethodClass

DEFAULT_PUBLIC_URL = "http://localhost:8000"


def _default_database_url() -> str:
    return f"sqlite:///{Path.cwd() / 'collecte.sqlite3'}"


@dataclass(frozen=True)
class ProgrammeSettings:
    """The programme's own details, printed on certificates."""

    name: str = "La Grande Collecte Numérique"
    operator: str = "OPEN NC"
    address: str = "Nouméa, Nouvelle-Calédonie"
    ridet: str = ""
    signatory_name: str = ""
    signatory_title: str = "Coordination du programme"
    # Printed on donation attestations when set; empty: no mention at all (a tax mention is the
    # programme's to write, once it holds a DSF ruling).
    legal_mention: str = ""
    # Whether the programme holds a DSF ruling (rescrit) and so may issue tax receipts: its
    # donation attestations then follow the DSF model, and every field of it is required.
    tax_receipts_eligible: bool = False
    # The least method class a wipe may record (clear, purge or destruct); empty: any.
    minimum_erasure_method: str = ""
    # How the programme counts its impact, in its own words (shown with the settings).
    impact_note: str = ""
    # The least sanitisation class a data-bearing device needs before reuse (clear, purge or
    # destruct), and the reference erasure certificates name.
    erasure_minimum: str = "purge"
    erasure_reference: str = "NIST SP 800-88 Rev. 2 / IEEE 2883-2022"

    @property
    def reuse_minimum(self) -> MethodClass:
        """`erasure_minimum` as the class the rules compare."""
        return MethodClass(self.erasure_minimum)


@dataclass(frozen=True)
class DatabaseTimeouts:
    """How long PostgreSQL may keep the service waiting, in seconds."""

    # Opening a connection (the pool replaces broken ones with new ones).
    connect: float = 5.0
    # Waiting for a pooled connection when all are in use.
    acquire: float = 5.0
    # One statement (reports and exports included).
    statement: float = 30.0


@dataclass(frozen=True)
class Settings:
    """Settings of one running service."""

    database_url: str = field(default_factory=_default_database_url)
    public_url: str = DEFAULT_PUBLIC_URL
    # None: generated on first run and kept in the database, shared by every process.
    secret_key: str | None = None
    token_ttl_minutes: int = 12 * 60
    # Failed logins tolerated per e-mail address in the window before answering 429.
    login_max_failures: int = 5
    login_window_seconds: int = 15 * 60
    # Failed logins tolerated per client address (many e-mails from one place) in the window.
    login_max_failures_per_client: int = 20
    # Proxies whose X-Forwarded-For names the client (COLLECTE_TRUSTED_PROXIES, addresses or
    # networks); from anyone else the header is ignored and the socket peer is the client.
    trusted_proxies: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...] = ()
    # Certificate verifications (API and page, number or file) per client address in each
    # window before answering 429: enough for people, too few to enumerate numbers.
    verify_max_requests: int = 60
    verify_window_seconds: int = 60
    # Argon2id hashes at once (64 MiB each) and sign-ins waiting for one; beyond, 503 at once.
    password_hash_concurrency: int = 2
    password_hash_queue: int = 8
    # How long the answer to an Idempotency-Key is kept for replays.
    idempotency_days: int = 7
    max_body_bytes: int = 5 * 1024 * 1024
    max_devices_per_request: int = 5000
    pool_min_size: int = 2
    pool_max_size: int = 8
    # Server processes `collecte serve` runs (COLLECTE_WORKERS); above 1, PostgreSQL only: each
    # process opens its own pool, and SQLite's single writer would only make them queue.
    workers: int = 1
    db_timeouts: DatabaseTimeouts = field(default_factory=DatabaseTimeouts)
    # Processes each server process renders certificate PDFs in, after their transaction
    # (COLLECTE_RENDER_PROCESSES); 0: a thread of the server process itself.
    render_processes: int = 1
    # Devices to collect per calendar year (Nouméa); 900 was the 2025 result.
    yearly_target: int = 900
    # A device in an open status with no event for longer is listed on the dashboard.
    stale_days: int = 30
    # The operator's own label stocks (COLLECTE_LABELS_DIR): they add to the shipped stocks, and
    # replace a shipped one of the same id. None: the shipped stocks alone.
    labels_dir: Path | None = None
    programme: ProgrammeSettings = field(default_factory=ProgrammeSettings)

    @property
    def is_postgres(self) -> bool:
        """Whether the database is PostgreSQL (else SQLite)."""
        return self.database_url.startswith(("postgres://", "postgresql://"))

    def with_(self, **changes: object) -> Settings:
        """Return a copy with some settings changed."""
        return replace(self, **changes)  # type: ignore[arg-type]


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return default
    try:
        return int(raw)
    except ValueError:
        raise SystemExit(f"{name} doit être un nombre entier (reçu « {raw} »).") from None


def _seconds(name: str, default: float) -> float:
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return default
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not 0 < value < 24 * 3600:
        raise SystemExit(f"{name} doit être un nombre de secondes positif (reçu « {raw} »).")
    return value


def _networks(name: str) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    raw = os.environ.get(name) or ""
    try:
        return tuple(
            ipaddress.ip_network(part.strip(), strict=False)
            for part in raw.split(",")
            if part.strip()
        )
    except ValueError:
        raise SystemExit(
            f"{name} doit lister des adresses ou réseaux IP séparés par des virgules "
            f"(reçu « {raw} »)."
        ) from None


def _at_least(name: str, default: int, minimum: int) -> int:
    value = _int(name, default)
    if value < minimum:
        raise SystemExit(f"{name} doit valoir au moins {minimum}.")
    return value


def _db_timeouts() -> DatabaseTimeouts:
    defaults = DatabaseTimeouts()
    return DatabaseTimeouts(
        connect=_seconds("COLLECTE_DB_CONNECT_TIMEOUT", defaults.connect),
        acquire=_seconds("COLLECTE_DB_ACQUIRE_TIMEOUT", defaults.acquire),
        statement=_seconds("COLLECTE_DB_STATEMENT_TIMEOUT", defaults.statement),
    )


def load_settings() -> Settings:
    """Return the settings read from the `COLLECTE_*` environment variables."""
    env = os.environ
    programme = ProgrammeSettings()
    texts: dict[str, str] = {
        name: env[f"COLLECTE_PROGRAMME_{name.upper()}"]
        for name in programme.__dataclass_fields__
        if f"COLLECTE_PROGRAMME_{name.upper()}" in env and name != "tax_receipts_eligible"
    }
    programme = replace(programme, **texts)  # type: ignore[arg-type]  # every other field is a str
    eligible = env.get("COLLECTE_PROGRAMME_TAX_RECEIPTS_ELIGIBLE", "").strip().lower()
    if eligible not in ("", "0", "1", "true", "false", "yes", "no"):
        raise SystemExit(
            "COLLECTE_PROGRAMME_TAX_RECEIPTS_ELIGIBLE doit valoir true ou false "
            f"(reçu « {eligible} »)."
        )
    programme = replace(programme, tax_receipts_eligible=eligible in ("1", "true", "yes"))
    if programme.minimum_erasure_method not in ("", *(m.value for m in MethodClass)):
        raise SystemExit(
            "COLLECTE_PROGRAMME_MINIMUM_ERASURE_METHOD doit valoir clear, purge, destruct ou "
            f"rester vide (reçu « {programme.minimum_erasure_method} »)."
        )
    try:
        programme.reuse_minimum  # noqa: B018 - checked at start-up, not at the first refurbish
    except ValueError:
        raise SystemExit(
            "COLLECTE_PROGRAMME_ERASURE_MINIMUM doit valoir clear, purge ou destruct "
            f"(reçu « {programme.erasure_minimum} »)."
        ) from None
    defaults = Settings()
    secret_key = env.get("COLLECTE_SECRET_KEY") or None
    if secret_key is not None and len(secret_key.encode()) < 32:
        raise SystemExit("COLLECTE_SECRET_KEY doit compter au moins 32 octets.")
    idempotency_days = _int("COLLECTE_IDEMPOTENCY_DAYS", defaults.idempotency_days)
    if idempotency_days < 1:
        raise SystemExit("COLLECTE_IDEMPOTENCY_DAYS doit valoir au moins 1.")
    stale_days = _int("COLLECTE_STALE_DAYS", defaults.stale_days)
    if stale_days < 1:
        raise SystemExit("COLLECTE_STALE_DAYS doit valoir au moins 1.")
    pool_min_size = _int("COLLECTE_POOL_MIN_SIZE", defaults.pool_min_size)
    pool_max_size = _int("COLLECTE_POOL_MAX_SIZE", defaults.pool_max_size)
    if pool_max_size < 1 or not 0 <= pool_min_size <= pool_max_size:
        raise SystemExit(
            "COLLECTE_POOL_MIN_SIZE et COLLECTE_POOL_MAX_SIZE doivent vérifier "
            f"0 ≤ min ≤ max et max ≥ 1 (reçu {pool_min_size} et {pool_max_size})."
        )
    workers = _int("COLLECTE_WORKERS", defaults.workers)
    if workers < 1:
        raise SystemExit(f"COLLECTE_WORKERS doit valoir au moins 1 (reçu {workers}).")
    if _int("COLLECTE_TOKEN_TTL_MINUTES", defaults.token_ttl_minutes) < 1:
        raise SystemExit("COLLECTE_TOKEN_TTL_MINUTES doit valoir au moins 1.")
    return Settings(
        database_url=env.get("COLLECTE_DATABASE_URL") or defaults.database_url,
        public_url=(env.get("COLLECTE_PUBLIC_URL") or DEFAULT_PUBLIC_URL).rstrip("/"),
        secret_key=secret_key,
        token_ttl_minutes=_int("COLLECTE_TOKEN_TTL_MINUTES", defaults.token_ttl_minutes),
        login_max_failures=_int("COLLECTE_LOGIN_MAX_FAILURES", defaults.login_max_failures),
        login_window_seconds=_int("COLLECTE_LOGIN_WINDOW_SECONDS", defaults.login_window_seconds),
        login_max_failures_per_client=_at_least(
            "COLLECTE_LOGIN_MAX_FAILURES_PER_CLIENT", defaults.login_max_failures_per_client, 1
        ),
        trusted_proxies=_networks("COLLECTE_TRUSTED_PROXIES"),
        verify_max_requests=_at_least(
            "COLLECTE_VERIFY_MAX_REQUESTS", defaults.verify_max_requests, 1
        ),
        verify_window_seconds=_at_least(
            "COLLECTE_VERIFY_WINDOW_SECONDS", defaults.verify_window_seconds, 1
        ),
        password_hash_concurrency=_at_least(
            "COLLECTE_PASSWORD_HASH_CONCURRENCY", defaults.password_hash_concurrency, 1
        ),
        password_hash_queue=_at_least(
            "COLLECTE_PASSWORD_HASH_QUEUE", defaults.password_hash_queue, 0
        ),
        idempotency_days=idempotency_days,
        pool_min_size=pool_min_size,
        pool_max_size=pool_max_size,
        workers=workers,
        db_timeouts=_db_timeouts(),
        render_processes=_at_least("COLLECTE_RENDER_PROCESSES", defaults.render_processes, 0),
        yearly_target=_int("COLLECTE_YEARLY_TARGET", defaults.yearly_target),
        stale_days=stale_days,
        labels_dir=Path(env["COLLECTE_LABELS_DIR"]) if env.get("COLLECTE_LABELS_DIR") else None,
        programme=programme,
    )
