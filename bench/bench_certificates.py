"""Certificate rendering: CPU time per render, beside a bare reportlab page from the same run.

Run from the project root: `python bench/bench_certificates.py` (or `make bench`). Figures, in
CPU time (`time.process_time`, so that other work on the machine counts less than in wall time):

- the baseline: a bare reportlab page (one canvas, one line of text, saved);
- a one-device certificate of each kind (median of many renders). Target (issue 18): ≤ 5 ms;
- an erasure certificate of 1, 500, 2,000 and 5,000 devices (one storage medium each, the
  tallest rows). Targets: 2,000 devices in ≤ 2 s, and a cost linear in the devices: the cost a
  device at 2,000 within 1.25× of that at 500;
- for information, the floor the device table had before: platypus's own Table of the same 500
  rows as plain strings, alone on its pages.

Each render is of another document (another number, donor and serials), as each issue is.
Options: --repeat N (renders of each one-device certificate), --skip-5000. Always exits 0.
"""

from __future__ import annotations

import argparse
import dataclasses
import io
import os
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import SimpleDocTemplate, Table

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from collecte.documents.certificates.kinds import SPECS
from collecte.documents.certificates.model import (
    CertificateDevice,
    CertificateDocument,
    CertificateMedium,
    Party,
    ProgrammeInfo,
    with_fingerprint,
)
from collecte.documents.certificates.render import render_certificate

ONE_DEVICE_TARGET = 0.005  # seconds of CPU
LARGE, LARGE_TARGET = 2000, 2.0
LINEAR_TARGET = 1.25  # the cost a device at 2,000 over that at 500
SIZES = (1, 500, 2000, 5000)
ERASED = datetime(2026, 11, 22, 9, 0, tzinfo=timezone(timedelta(hours=11)))
CATEGORIES = ("laptop", "desktop", "monitor", "tablet", "smartphone", "printer", "network")
PROGRAMME = ProgrammeInfo(
    address="7 rue Suffren\n98800 Nouméa",
    ridet="1 234 567.001",
    signatory_name="Léa Coordinatrice",
    signatory_title="Coordinatrice du programme",
    public_url="https://collecte.example.nc",
)
DONOR = Party(
    name="Société Minière du Sud SAS",
    ridet="0 123 456.001",
    address="12 rue de Sébastopol",
    city="98800 Nouméa",
)
WORKSHOP = Party(name="Atelier Réemploi Nord", ridet="1 000 111.002", city="Koné")
ASSOCIATION = Party(name="Association Drehu Numérique", ridet="0 555 666.001", city="Wé")


def device(i: int, run: int) -> CertificateDevice:
    """One varied device, with one erased and verified storage medium; `run` varies its serials."""
    medium = CertificateMedium(
        serial=f"S3Z9NB{run:03d}K{i:06d}",
        kind="ssd",
        capacity_gb=256,
        technique="block_erase",
        tool="nwipe",
        tool_version="0.36",
        # each medium erased at its own moment, as nwipe reports them, and no two renders share
        # one (the wording of a moment is kept once made)
        started_at=(ERASED + timedelta(minutes=i + run * 20_000)).isoformat(),
        ended_at=(ERASED + timedelta(minutes=i + run * 20_000 + 42)).isoformat(),
        verification="full",
        certified=True,
    )
    return CertificateDevice(
        tag=f"7K3P{i:04d}",
        category=CATEGORIES[i % len(CATEGORIES)],
        brand="Dell",
        model="Latitude 5490" if i % 10 else "OptiPlex 7070 Micro avec écran 24 pouces",
        serial_number=f"CN{run:03d}{i:07d}X",
        declared_value_xpf=15_000 + 500 * (i % 40),
        weight_kg=1.6,
        weight_source="weighed",
        grade="B",
        media=(medium,),
        destination="reuse",
        erasure_certificates=("EFF-2026-00007",),
    )


def certificate(kind: str, devices: int, run: int = 0) -> CertificateDocument:
    """A certificate of `kind` for `devices` devices, as the services build it; each `run` gives
    another number, donor and serials (another fingerprint), as every issue does."""
    number = f"{SPECS[kind].prefix}-2026-{run + 1:05d}"
    donor = dataclasses.replace(DONOR, name=f"{DONOR.name} {run + 1}")
    return with_fingerprint(
        CertificateDocument(
            kind=kind,
            number=number,
            issued_at=datetime(2026, 11, 23, 3, 5, tzinfo=UTC),
            programme=PROGRAMME,
            recipient=ASSOCIATION if kind == "receipt" else donor,
            donor=donor,
            reconditioner=WORKSHOP,
            association=ASSOCIATION if kind == "receipt" else None,
            operator_name="Jean Wayenece",
            handover_date=date(2026, 11, 20) if kind == "donation" else None,
            channel="Trecodec Recyclage" if kind == "recycling" else None,
            received_by="Marie Hnawia" if kind == "receipt" else None,
            place="Wé, Lifou" if kind == "receipt" else None,
            devices=tuple(device(i, run) for i in range(1, devices + 1)),
            verify_url=f"HTTPS://COLLECTE.EXAMPLE.NC/VERIFY/{number}",
        )
    )


def bare_page() -> bytes:
    """The baseline: one reportlab page with a line of text."""
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A4, invariant=1, pageCompression=1)
    canvas.setFont("Helvetica", 10)
    canvas.drawString(72, 720, "Attestation de don en nature N° DON-2026-00042")
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def platypus_table(doc: CertificateDocument) -> bytes:
    """The same rows as plain strings in platypus's Table, without header, QR or styles."""
    rows = [["N°", "Étiquette", "Appareil", "Support", "Technique", "Outil", "Date", "Résultat"]]
    for i, d in enumerate(doc.devices, start=1):
        m = d.media[0]
        rows.append(
            [str(i), d.tag, f"{d.brand} {d.model}", m.serial, "purge", "nwipe 0.36", "22/11", "ok"]
        )
    buffer = io.BytesIO()
    widths = [w * mm for w in (7, 19, 26, 30, 28, 20, 22, 22)]
    SimpleDocTemplate(buffer, pagesize=A4, invariant=1).build(
        [Table(rows, colWidths=widths, repeatRows=1)]
    )
    return buffer.getvalue()


def cpu(render: Callable[[int], bytes], runs: int) -> tuple[float, float, bytes]:
    """Return the median and the least CPU time of `runs` renders, each of another document
    (after one to warm up, as a running server is): texts a document shares with others are
    laid out once and kept, its own are not, so rendering one document again and again would
    flatter the figure."""
    out = render(runs)
    times = []
    for run in range(runs):
        start = time.process_time()
        out = render(run)
        times.append(time.process_time() - start)
    return statistics.median(times), min(times), out


def verdict(met: bool) -> str:
    return "PASS" if met else "FAIL"


def pages(pdf: bytes) -> int:
    """The number of pages of a PDF reportlab wrote."""
    return pdf.count(b"/Type /Page\n")


def main() -> None:
    """Run the benchmark and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=100)
    parser.add_argument("--skip-5000", action="store_true")
    args = parser.parse_args()
    load = os.getloadavg()[0]
    print(f"certificate rendering, CPU time per render (load average {load:.1f} before the run)")

    bare, least, _ = cpu(lambda _run: bare_page(), args.repeat)
    print(
        f"  baseline: a bare reportlab page (one line of text)   {bare * 1000:7.2f} ms"
        f"  (least {least * 1000:.2f})"
    )

    print(f"\none-device certificates, median of {args.repeat} (target <= 5 ms)")
    for kind in SPECS:
        docs = [certificate(kind, 1, run) for run in range(args.repeat + 1)]
        seconds, least, pdf = cpu(lambda run, docs=docs: render_certificate(docs[run]), args.repeat)
        print(
            f"  {kind:<10} {seconds * 1000:7.2f} ms (least {least * 1000:5.2f})"
            f" = {seconds / bare:5.1f}x the bare page  {len(pdf) / 1024:5.1f} KiB"
            f"  {verdict(seconds <= ONE_DEVICE_TARGET)}"
        )

    print("\nerasure certificate (one medium a device)")
    print(f"  {'devices':>7} {'pages':>6} {'CPU':>10} {'per device':>11} {'KiB':>8}")
    per_device: dict[int, float] = {}
    for size in SIZES:
        if size == 5000 and args.skip_5000:
            continue
        runs = 20 if size == 1 else 5 if size <= 500 else 3 if size <= LARGE else 1
        docs = [certificate("erasure", size, run) for run in range(runs + 1)]
        seconds, _, pdf = cpu(lambda run, docs=docs: render_certificate(docs[run]), runs)
        del docs
        per_device[size] = seconds / size
        target = ""
        if size == LARGE:
            target = f"  target <= {LARGE_TARGET:.0f} s: {verdict(seconds <= LARGE_TARGET)}"
        print(
            f"  {size:>7,} {pages(pdf):>6} {seconds:8.3f} s {per_device[size] * 1000:8.2f} ms"
            f" {len(pdf) / 1024:8.0f}{target}"
        )
    ratio = per_device[LARGE] / per_device[500]
    print(
        f"  linear: {per_device[LARGE] * 1000:.2f} ms a device at 2,000 against"
        f" {per_device[500] * 1000:.2f} at 500 = {ratio:.2f}x"
        f"  target <= {LINEAR_TARGET}x: {verdict(ratio <= LINEAR_TARGET)}"
    )

    rows = certificate("erasure", 500)
    table, _, pdf = cpu(lambda _run: platypus_table(rows), 1)
    print(
        f"\nfor information: platypus's Table of the same 500 rows alone, plain strings"
        f" {table:.3f} s ({pages(pdf)} pages)"
    )


if __name__ == "__main__":
    main()
