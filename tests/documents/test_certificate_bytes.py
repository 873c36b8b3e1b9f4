"""A certificate's PDF is a function of its content: rendered again, in another process, with
another hash seed, time zone and SOURCE_DATE_EPOCH, every kind gives the same bytes. Issuing can
then store the content at once and render the file later, anywhere."""

from __future__ import annotations

import dataclasses
import io
import os
import pickle
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image, ImageDraw
from reportlab import rl_config

from collecte.documents.certificates.model import CertificateDocument, with_fingerprint
from collecte.documents.certificates.render import render_certificate
from tests.documents.reading import page_count
from tests.documents.test_certificate_pdf import certificate

ROOT = Path(__file__).resolve().parents[2]
RENDER_ELSEWHERE = (
    "import pickle, sys\n"
    "from collecte.documents.certificates.render import render_certificate\n"
    "docs = pickle.load(sys.stdin.buffer)\n"
    "sys.stdout.buffer.write(pickle.dumps({k: render_certificate(d) for k, d in docs.items()}))\n"
)


def drawn_signature() -> bytes:
    """A signature drawn on a screen, as the pages send it: a small PNG."""
    image = Image.new("RGBA", (300, 80), (255, 255, 255, 0))
    ImageDraw.Draw(image).line([(10, 60), (80, 15), (150, 55), (290, 20)], fill="black", width=3)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def documents() -> dict[str, CertificateDocument]:
    """One document of each kind over several pages, and the variants that print differently."""
    docs = {kind: certificate(kind, count=25) for kind in ("donation", "erasure", "recycling")}
    signed = {"signed_by": "Marie Hnawia", "signature_image": drawn_signature()}
    docs["receipt"] = certificate("receipt", count=25, **signed)
    docs["donation, tax receipt, signed"] = certificate(
        "donation", count=3, tax_receipt=True, pickup_number="ENL-2026-00007", **signed
    )
    docs["erasure, in English"] = certificate("erasure", count=3, language="en")
    return docs


def test_every_kind_renders_the_same_bytes_twice_and_in_another_process() -> None:
    docs = documents()
    here = {name: render_certificate(doc) for name, doc in docs.items()}

    assert {name: render_certificate(doc) for name, doc in docs.items()} == here
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),  # this checkout's renderer, whatever is installed
        "PYTHONHASHSEED": "4242",
        "TZ": "America/Los_Angeles",
        "SOURCE_DATE_EPOCH": "1700000000",  # read by reportlab when set
    }
    elsewhere = subprocess.run(
        [sys.executable, "-c", RENDER_ELSEWHERE],
        input=pickle.dumps(docs),
        capture_output=True,
        check=True,
        cwd=ROOT,
        env=env,
        timeout=120,
    )
    there = pickle.loads(elsewhere.stdout)

    assert there.keys() == here.keys()
    for name in here:
        assert there[name] == here[name], name
    assert all(page_count(pdf) >= 2 for name, pdf in here.items() if "," not in name)


def test_the_file_carries_the_issue_time_and_an_id_derived_from_it() -> None:
    doc = certificate("erasure", count=2)
    pdf = render_certificate(doc)

    assert b"/CreationDate (D:20261123030500+00'00')" in pdf
    assert b"/ModDate (D:20261123030500+00'00')" in pdf
    later = with_fingerprint(dataclasses.replace(doc, issued_at=doc.issued_at.replace(minute=6)))
    other = render_certificate(later)
    assert b"/CreationDate (D:20261123030600+00'00')" in other
    trailer_id = pdf[pdf.rindex(b"/ID") :].split(b"]")[0]
    assert trailer_id and trailer_id not in other  # the ID follows the content's time, not chance


def test_the_bytes_do_not_follow_reportlabs_process_wide_settings(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    doc = certificate("erasure", count=12)
    first = render_certificate(doc)

    monkeypatch.setattr(rl_config, "useA85", 0)  # another module of the process could set it
    assert render_certificate(doc) == first
    assert b"ASCII85Decode" not in first
