"""Time the rendering of a 500-device donation certificate, beside baselines from the same run.

Baselines: a 1-device certificate (the fixed cost: header, QR, parties, signatures) and the
same 500 rows in a bare reportlab table (the floor: what any platypus table of that size costs).

    python bench/bench_certificates.py [--devices N] [--repeat R]
"""

from __future__ import annotations

import argparse
import io
import statistics
import time
from collections.abc import Callable
from datetime import UTC, date, datetime

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.platypus import SimpleDocTemplate, Table

from collecte.documents.certificates.model import (
    CertificateDevice,
    CertificateDocument,
    Party,
    ProgrammeInfo,
    content_fingerprint,
    with_fingerprint,
)
from collecte.documents.certificates.render import render_certificate

CATEGORIES = ("laptop", "desktop", "monitor", "tablet", "smartphone", "printer", "network")


def batch(devices: int) -> CertificateDocument:
    """Return a donation certificate for a batch of `devices` varied devices."""
    return with_fingerprint(
        CertificateDocument(
            kind="donation",
            number="DON-2026-00001",
            issued_at=datetime(2026, 11, 23, 3, 5, tzinfo=UTC),
            programme=ProgrammeInfo(
                address="7 rue Suffren\n98800 Nouméa",
                ridet="1 234 567.001",
                signatory_name="Léa Coordinatrice",
                signatory_title="Coordinatrice du programme",
                public_url="https://collecte.example.nc",
            ),
            recipient=Party(name="Société Minière du Sud SAS", ridet="0 123 456.001"),
            handover_date=date(2026, 11, 20),
            devices=tuple(
                CertificateDevice(
                    tag=f"7K3P{i:04d}",
                    category=CATEGORIES[i % len(CATEGORIES)],
                    brand="Dell",
                    model="Latitude 5490" if i % 10 else "OptiPlex 7070 Micro avec écran 24 pouces",
                    serial_number=f"CN0{i:07d}X",
                    declared_value_xpf=15_000 + 500 * (i % 40),
                )
                for i in range(devices)
            ),
            verify_url="HTTPS://COLLECTE.EXAMPLE.NC/VERIFY/DON-2026-00001",
        )
    )


def bare_table(doc: CertificateDocument) -> bytes:
    """Return the same rows as plain strings in an unstyled table, without header or QR."""
    rows = [["N°", "Étiquette", "Catégorie", "Marque / modèle", "N° de série", "Valeur"]]
    rows += [
        [str(i), d.tag, d.category, f"{d.brand} {d.model}", d.serial_number or "", "0"]
        for i, d in enumerate(doc.devices, start=1)
    ]
    buffer = io.BytesIO()
    widths = [w * mm for w in (9, 19, 28, 46, 46, 26)]
    SimpleDocTemplate(buffer, pagesize=A4, invariant=1).build(
        [Table(rows, colWidths=widths, repeatRows=1)]
    )
    return buffer.getvalue()


def measure(label: str, work: Callable[[], bytes], repeat: int) -> float:
    """Run `work` `repeat` times and print its median time and output size."""
    work()  # warm-up: imports, font metrics
    times, size = [], 0
    for _ in range(repeat):
        start = time.perf_counter()
        size = len(work())
        times.append(time.perf_counter() - start)
    median = statistics.median(times)
    print(f"{label:<44} {median * 1000:8.1f} ms  (min {min(times) * 1000:7.1f})  {size:>9,} B")
    return median


def main() -> None:
    """Run the benchmark and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devices", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    big, one = batch(args.devices), batch(1)
    print(f"certificate rendering, median of {args.repeat} runs")
    base = measure("baseline: 1-device certificate", lambda: render_certificate(one), args.repeat)
    floor = measure(
        f"baseline: bare reportlab table, {args.devices} rows", lambda: bare_table(big), args.repeat
    )
    full = measure(
        f"donation certificate, {args.devices} devices",
        lambda: render_certificate(big),
        args.repeat,
    )
    hashing = measure(
        f"fingerprint only, {args.devices} devices",
        lambda: content_fingerprint(big).encode(),
        args.repeat,
    )
    per_device = (full - base) / max(args.devices - 1, 1)
    print(
        f"-> {full / base:.1f}x the 1-device certificate, {full / floor:.1f}x the bare table; "
        f"{per_device * 1000:.2f} ms per extra device; fingerprint {hashing * 1000:.1f} ms"
    )


if __name__ == "__main__":
    main()
