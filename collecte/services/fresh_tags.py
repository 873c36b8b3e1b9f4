"""New device tags: random, and clashing with none on a device or reserved as a blank tag."""

from __future__ import annotations

from collecte.db.chunks import each_chunk
from collecte.db.tables import BlankTag, Device
from collecte.domain import tags


async def new_tags(count: int) -> list[str]:
    """Return `count` distinct fresh tags, none on a device nor reserved as a blank tag (bound
    or not).

    Call inside the write transaction that stores them. A clash is one chance in millions even
    at a million devices; it is simply drawn again.
    """
    chosen: list[str] = []
    while len(chosen) < count:
        candidates = {tags.generate() for _ in range(count - len(chosen))} - set(chosen)
        wanted = sorted(candidates)
        on_devices = await each_chunk(
            wanted, lambda part: Device.select(Device.tag).where(Device.tag.is_in(part))
        )
        reserved = await each_chunk(
            wanted, lambda part: BlankTag.select(BlankTag.tag).where(BlankTag.tag.is_in(part))
        )
        taken = {row["tag"] for row in [*on_devices, *reserved]}
        chosen.extend(tag for tag in wanted if tag not in taken)
    return chosen
