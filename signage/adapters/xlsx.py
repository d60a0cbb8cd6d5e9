"""Spreadsheets with openpyxl: sheets of plain values, text never read as a formula."""

from __future__ import annotations

import io
from collections.abc import Sequence

from openpyxl import Workbook
from openpyxl.utils import get_column_letter

_MAX_WIDTH = 48


class OpenpyxlWriter:
    """Writes each sheet as a header row and rows; strings are stored as strings."""

    def workbook(
        self, sheets: Sequence[tuple[str, Sequence[str], Sequence[Sequence[object]]]]
    ) -> bytes:
        """The XLSX file's bytes."""
        book = Workbook()
        book.remove(book.active)  # type: ignore[arg-type]
        for title, header, rows in sheets:
            sheet = book.create_sheet(title[:31])
            sheet.append(list(header))
            for row in rows:
                sheet.append([None] * len(row))
                for column, value in enumerate(row, start=1):
                    cell = sheet.cell(row=sheet.max_row, column=column)
                    cell.value = value  # type: ignore[assignment]
                    if isinstance(value, str):
                        # openpyxl would make "=…" a formula; a name is never one.
                        cell.data_type = "s"
            sheet.freeze_panes = "A2"
            for column, name in enumerate(header, start=1):
                width = max([len(str(name))] + [len(str(r[column - 1])) for r in rows[:200]])
                sheet.column_dimensions[get_column_letter(column)].width = min(
                    _MAX_WIDTH, width + 2
                )
        buffer = io.BytesIO()
        book.save(buffer)
        return buffer.getvalue()
