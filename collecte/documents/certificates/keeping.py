"""Keeping a certificate's ending (totals, notes, signatures) with the last rows of its table.

A reader who turns to a page holding only the signature blocks cannot tell what was signed for:
the signatures must share their page with the end of the device table. `KeepWithTable` lays the
table out as far as the page allows, but always leaves its last `KEEP_ROWS` rows (and the total
row) for the page that holds the ending, finding the page turn by the table's own measure
(`DeviceTable.fitting`, a bisection); when the ending does not fit after the whole table,
those last rows move with it to the next page, under the repeated header.
"""

from __future__ import annotations

from collections.abc import Sequence

from reportlab.platypus import Flowable, KeepTogether
from reportlab.platypus.doctemplate import FrameBreak
from reportlab.platypus.flowables import _ContainerSpace, _listWrapOn

from collecte.documents.certificates.table import DeviceTable

KEEP_ROWS = 2  # device lines always on the signatures page (fewer if the table has fewer)


class KeepWithTable(_ContainerSpace, Flowable):  # type: ignore[misc]
    """A device table followed by the flowables that end the certificate, which never start a
    page without at least the table's last rows."""

    def __init__(self, table: DeviceTable, ending: Sequence[Flowable]) -> None:
        self._table = table
        # Flattened: the ending is kept together as a whole, and a nested KeepTogether would
        # measure as "too tall" (it always asks to be split).
        self._ending = [
            part
            for flowable in ending
            for part in (flowable._content if isinstance(flowable, KeepTogether) else [flowable])
        ]
        self._content = [table, *self._ending]  # what `_ContainerSpace` walks

    def wrap(self, available_width: float, available_height: float) -> tuple[float, float]:
        return available_width, 0xFFFFFF  # always split: `split` decides where the page turns

    def split(self, available_width: float, available_height: float) -> list[Flowable]:
        canvas = self.canv
        table = self._table
        _, ending = _listWrapOn(self._ending, available_width, canvas)
        _, whole = table.wrapOn(canvas, available_width, available_height)
        if whole + ending <= available_height:
            return [table, *self._ending]
        # Lay as many lines here as fit, leaving the last ones for the page of the ending.
        keep = min(KEEP_ROWS, table.lines)
        here = min(table.fitting(available_height), table.lines - keep)
        if here > 0:
            first, rest = table.cut(here)
            return [first, FrameBreak(), KeepWithTable(rest, self._ending)]
        if getattr(getattr(self, "_frame", None), "_atTop", False):
            # The last lines and the ending are taller than a page (a few devices with very
            # long texts): nothing can keep them together, so the table splits where it must.
            if whole <= available_height:  # the table fits, the ending follows on the next page
                return [table, *self._ending]
            here = table.fitting(available_height)
            if not here:
                return []  # not even one line fits a page: the layout's own error speaks
            first, rest = table.cut(here)
            return [first, FrameBreak(), KeepWithTable(rest, self._ending)]
        return [FrameBreak(), KeepWithTable(table, self._ending)]

    def __repr__(self) -> str:
        return f"KeepWithTable({self._table!r}, {len(self._ending)} flowables)"
