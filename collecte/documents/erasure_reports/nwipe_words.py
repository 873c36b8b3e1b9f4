"""nwipe's own words (src/method.c, src/create_pdf.c) and what they mean for a medium's record.

Every nwipe method is an overwrite except the drive commands added in 0.38 (Secure Erase,
Sanitize); "Verify Zeros/Ones" only read the disk back and record no erasure. nwipe's "Verify
Pass" reads back the whole disk, after the last pass or after every pass: a full verification.
"""

from __future__ import annotations

from collecte.domain.vocabulary import Technique, Verification

METHODS: dict[str, Technique] = {
    "dod 5220.22-m": Technique.OVERWRITE,
    "dod short": Technique.OVERWRITE,
    "gutmann wipe": Technique.OVERWRITE,
    "rcmp tssit ops-ii": Technique.OVERWRITE,
    "prng stream": Technique.OVERWRITE,
    "fill with zeros": Technique.OVERWRITE,
    "fill with ones": Technique.OVERWRITE,
    "quick erase": Technique.OVERWRITE,  # the zero fill's name before 0.28
    "hmg is5 enhanced": Technique.OVERWRITE,
    "bruce schneier 7-pass": Technique.OVERWRITE,
    "bmb21-2019": Technique.OVERWRITE,
    "secure erase (ata/nvme)": Technique.BLOCK_ERASE,
    "secure erase + prng + verify": Technique.BLOCK_ERASE,
    "sanitize crypto erase (ata/scsi/nvme)": Technique.CRYPTO_ERASE,
    "sanitize block erase (ata/scsi/nvme)": Technique.BLOCK_ERASE,
    "sanitize overwrite (ata/scsi/nvme)": Technique.SANITIZE,
}
VERIFY_ONLY = frozenset({"verify zeros (0x00)", "verify ones (0xff)"})
VERIFY: dict[str, Verification] = {
    "none": Verification.NONE,
    "last": Verification.FULL,
    "all": Verification.FULL,
}


def key(words: str) -> str:
    """nwipe's words compared without case or repeated spaces ("Verify Ones  (0xFF)")."""
    return " ".join(words.split()).casefold()
