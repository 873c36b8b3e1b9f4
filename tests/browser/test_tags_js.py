"""The phone reads tags as the server does: static/tags.js against collecte.domain.tags.

Thousands of codes (new tags in every spelling a label or a person gives them, mistyped ones,
swapped neighbours, look-alikes, wrong lengths, stray characters, Unicode spaces) go through both;
each must give the same canonical tag, or the same refusal in the same words.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from playwright.async_api import Browser

from collecte.domain import tags
from collecte.i18n import say

pytestmark = pytest.mark.browser

SCRIPT = Path(tags.__file__).resolve().parent.parent / "web" / "static" / "tags.js"
# The refusals' French msgids, as the pages give them to the script.
SENTENCES = {
    "not_a_tag": "Ce code n’est ni une étiquette ni une adresse d’appareil (…/d/TAG).",
    "length": "Une étiquette compte {length} caractères (ex. 7K3P-9QXM) ; « {code} » en a {count}.",
    "characters": "Caractère(s) impossible(s) dans une étiquette : {characters}.",
    "check": "Étiquette « {tag} » invalide : le caractère de contrôle ne correspond pas "
    "(faute de frappe ?).",
}
# Characters people, scanners and keyboards put in a code: Crockford's, its look-alikes, the
# excluded U, separators, Python's whitespace (which JavaScript's differs from), accents, emoji.
STRAY = (
    list(tags.ALPHABET)
    + list("ILOUilou-_./ ?#:")
    + ["\t", "\n", "\x1c", "\x1f", "\x85", "\xa0", "\u2003", "\u202f", "\u3000", "\ufeff"]
    + ["é", "ß", "ı", "ſ", "€", "😀"]
)


def _spellings(tag: str, rng: random.Random) -> list[str]:
    """A valid tag as labels and people give it, and mistakes made with it."""
    label = tags.display(tag)
    position = rng.randrange(8)
    wrong = rng.choice([c for c in tags.ALPHABET if c != tag[position]])
    swap = rng.randrange(7)
    return [
        tag,
        label,
        label.lower(),
        f" {tag[:2]} {tag[2:5]}-{tag[5:]}\u00a0",
        f"HTTP://LOCALHOST:8000/D/{tag}",
        f"https://collecte.example/d/{label.lower()}/",
        f"http://x/D/{tag}?from=camera",
        f"http://x/d/{tag}#top",
        tag.replace("1", rng.choice("IiLl")).replace("0", rng.choice("Oo")),
        tag[:position] + wrong + tag[position + 1 :],
        tag[:swap] + tag[swap + 1] + tag[swap] + tag[swap + 2 :],
        tag[:-1],
        tag + rng.choice(tags.ALPHABET),
        tag[:3] + "U" + tag[4:],
        f"{tag}/extra",
    ]


def _codes() -> list[str]:
    rng = random.Random(19)
    codes: list[str] = ["", "   ", "/", "/d/", "http://x/d/", "7K3P-9QXL", "7K3P-9QXM"]
    for _ in range(400):
        codes += _spellings(tags.generate(), rng)
    for _ in range(2000):
        codes.append("".join(rng.choice(STRAY) for _ in range(rng.randrange(0, 14))))
    return codes


def _python(code: str) -> dict[str, str]:
    try:
        return {"tag": tags.parse(code)}
    except tags.TagError as error:
        return {"sentence": say("fr", error.sentence)}


async def test_tags_js_reads_every_code_as_the_server_does(browser: Browser) -> None:
    codes = _codes()
    page = await browser.new_page()
    await page.set_content("<!doctype html><title>tags</title>")
    await page.add_script_tag(path=str(SCRIPT))

    read = await page.evaluate(
        """([codes, sentences]) => codes.map(code => {
             const parsed = CollecteTags.parse(code);
             if (!parsed.error) return { tag: parsed.tag };
             return { sentence: CollecteTags.fill(sentences[parsed.error], parsed.values) };
           })""",
        [codes, SENTENCES],
    )
    checks = await page.evaluate(
        "bodies => bodies.map(CollecteTags.checkCharacter)",
        [code[:7] for code in codes if tags.is_valid(code)],
    )
    await page.close()

    differences = [
        (code, expected, got)
        for code, expected, got in zip(codes, map(_python, codes), read, strict=True)
        if expected != got
    ]
    assert not differences, differences[:5]
    assert checks == [code[7] for code in codes if tags.is_valid(code)]
    valid = sum("tag" in answer for answer in read)
    assert valid > 3000 and len(codes) - valid > 3000  # both sides well exercised
