"""Erasure tools' reports for the tests: the samples on disk, nwipe's PDF drawn like nwipe draws
it, and hostile files made on the spot."""

from __future__ import annotations

import io
from pathlib import Path

from reportlab.pdfgen.canvas import Canvas

SAMPLES = Path(__file__).parent / "samples" / "erasure_reports"


def sample(name: str) -> bytes:
    """A sample report's bytes."""
    return (SAMPLES / name).read_bytes()


def nwipe_pdf_report(
    *,
    serial: str = "WDEB7X1K",
    status: str = "ERASED",
    method: str = "PRNG Stream",
    verify: str = "Last",
    errors: str = "0/0/0",
    warning: bool = False,
    bus: str = "ATA",
    version: str = "0.39",
) -> bytes:
    """Page 1 of nwipe's single-disc certificate: its texts in create_single_disc_pdf.c's order and
    places (header and footer first, then each label followed by its value), plus a smart data
    page."""
    buffer = io.BytesIO()
    pdf = Canvas(buffer, pagesize=(595, 842), invariant=True)

    def text(x: float, y: float, words: str, size: int = 12) -> None:
        pdf.setFont("Helvetica", size)
        pdf.drawString(x, y, words)

    text(170, 30, f"Disc Erasure by NWIPE version {version}")
    text(200, 696, " Disk Model: ST500LM030-2E717D ", 11)
    text(200, 681, f" Disk S/N: {serial} ", 11)
    text(180, 765, "Disk Erasure Report", 24)
    text(220, 745, "Page 1 - Erasure Status", 14)
    text(50, 630, "Organisation Performing The Disk Erasure")
    text(60, 610, "Business Name:")
    text(60, 590, "Business Address:")
    text(60, 570, "Contact Name:")
    text(300, 570, "Contact Phone:")
    text(153, 610, "Atelier Emmaüs Ducos", 10)
    text(165, 590, "12 rue Ampère, Ducos, Nouméa", 10)
    text(145, 570, "Marie Wayenece", 10)
    text(390, 570, "+687 27 00 00", 10)
    text(50, 530, "Customer Details")
    text(60, 510, "Name:")
    text(60, 490, "Address:")
    text(60, 470, "Contact Name:")
    text(300, 470, "Contact Phone:")
    text(100, 510, "Banque du Pacifique", 10)
    text(50, 430, "Disk Information")
    text(60, 410, "Make/Model:")
    text(135, 410, "ST500LM030-2E717D", 10)
    text(340, 410, "Serial:")
    text(380, 410, serial, 10)
    text(340, 390, "Bus:")
    text(370, 390, bus, 10)
    text(60, 390, "Size(Apparent): ")
    text(145, 390, "500 GB, 500107862016 bytes", 10)
    text(60, 370, "Size(Real):")
    text(125, 370, "500 GB, 500107862016 bytes", 10)
    text(50, 330, "Disk Erasure Details")
    text(60, 310, "Start time:")
    text(120, 310, "2026/11/20 09:01:07", 10)
    text(300, 310, "End time:")
    text(360, 310, "2026/11/20 11:41:07", 10)
    text(60, 290, "Duration:")
    text(115, 290, "02:40:00", 10)
    text(300, 290, "Status:")
    text(365, 290, status)
    if warning:
        text(450, 290, "See Warning !")
    text(60, 270, "Method:")
    text(110, 270, method, 10)
    text(300, 270, "PRNG algorithm:")
    text(395, 270, "Isaac64 (CSPRNG)", 10)
    text(60, 250, "Final Pass(Zeros/Ones/None):")
    text(230, 250, "Zeros", 10)
    text(300, 250, "Verify Pass(Last/All/None):")
    text(450, 250, verify, 10)
    text(60, 230, "*Bytes Erased:")
    text(150, 230, "500107862016, (100.00%)", 10)
    text(300, 230, "Rounds(completed/requested):")
    text(470, 230, "1/1", 10)
    text(60, 210, "HPA/DCO:")
    text(300, 210, "HPA/DCO Size:")
    text(390, 210, "No hidden sectors", 10)
    text(130, 210, "Disabled", 10)
    text(300, 190, "Throughput:")
    text(370, 190, "52 MB/sec", 10)
    text(60, 190, "Errors(pass/sync/verify):")
    text(195, 190, errors, 10)
    text(60, 170, "Information:")
    if warning:
        text(140, 170, "Warning", 10)
        text(200, 170, "HPA/DCO data unavailable, can not determine hidden sector status.", 10)
    text(60, 137, "* bytes erased: The amount of drive that's been erased at least once", 10)
    text(50, 100, "Technician/Operator ID")
    text(60, 80, "Name/ID:")
    text(300, 100, "Signature:")
    text(120, 80, "Jean Tein", 10)
    pdf.showPage()
    text(180, 765, "Disk Erasure Report", 24)
    text(220, 745, "Page 2 - Smart Data", 14)
    text(50, 600, "smartctl 7.4 2023-08-01 r5530 [x86_64-linux-6.6.30] (local build)", 8)
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def billion_laughs() -> bytes:
    """XML entity expansion: ten levels of ten references, a billion 'lol's once expanded."""
    levels = ['<!ENTITY lol0 "lol">'] + [
        f'<!ENTITY lol{n} "{f"&lol{n - 1};" * 10}">' for n in range(1, 10)
    ]
    return (
        '<?xml version="1.0"?>\n<!DOCTYPE root [\n' + "\n".join(levels) + "\n]>\n"
        "<root><blancco_erasure_report>&lol9;</blancco_erasure_report></root>"
    ).encode()


def external_entity() -> bytes:
    """XML that asks the parser to read a file of the server."""
    return (
        b'<?xml version="1.0"?>\n<!DOCTYPE root [<!ENTITY secret SYSTEM "file:///etc/passwd">]>\n'
        b"<root><blancco_erasure_report>&secret;</blancco_erasure_report></root>"
    )


def another_pdf() -> bytes:
    """A well-formed PDF that is no erasure report."""
    buffer = io.BytesIO()
    pdf = Canvas(buffer, invariant=True)
    pdf.drawString(72, 720, "Facture n° 2026-118")
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()
