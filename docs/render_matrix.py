"""Render a workbook's Matrix sheet to a PNG, the way a spreadsheet shows it, for the README.

    pip install -e ".[docs]"
    batchcount run samples/territory.xlsx --explode Locations --explode Seniorities --sandbox -y
    python docs/render_matrix.py samples/territory.counted.xlsx docs/matrix.png

LibreOffice is not available everywhere, so this draws the sheet itself (Pillow) from what
the workbook holds: cell values and number formats, fonts, fills, column widths and the
colour-scale rules, whose colours are worked out as Excel does (min -> white, max -> green).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import openpyxl
from openpyxl.utils import get_column_letter, range_boundaries
from PIL import Image, ImageDraw, ImageFont

FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
ROW_HEIGHT = 22
HEAD_WIDTH = 38  # the row-number column
GRID = (218, 220, 224)
HEADER_BG = (242, 242, 242)


def _font(bold: bool, italic: bool, size: int = 13) -> Any:
    name = "DejaVuSans" + ("-Bold" if bold else "") + ("Oblique" if italic and not bold else "")
    if bold and italic:
        name = "DejaVuSans-BoldOblique"
    path = FONT_DIR / f"{name}.ttf"
    if path.exists():
        return ImageFont.truetype(str(path), size)
    return ImageFont.load_default(size=size)


def _rgb(argb: str | None) -> tuple[int, int, int] | None:
    if not argb or not isinstance(argb, str) or len(argb) < 6 or argb == "00000000":
        return None
    text = argb[-6:]
    return int(text[0:2], 16), int(text[2:4], 16), int(text[4:6], 16)


def _shown(value: Any, number_format: str) -> str:
    if isinstance(value, bool) or value is None:
        return "" if value is None else str(value).upper()
    if isinstance(value, int | float):
        if "#,##0" in number_format:
            return f"{value:,.0f}"
        return f"{value:g}"
    return str(value)


def _scale_colours(ws: Any) -> dict[tuple[int, int], tuple[int, int, int]]:
    """Cell -> colour from each two-colour scale rule (linear between min and max)."""
    out: dict[tuple[int, int], tuple[int, int, int]] = {}
    for cf in ws.conditional_formatting:
        for rule in cf.rules:
            if rule.type != "colorScale" or rule.colorScale is None:
                continue
            low = _rgb(rule.colorScale.color[0].rgb) or (255, 255, 255)
            high = _rgb(rule.colorScale.color[-1].rgb) or (99, 190, 123)
            for ref in str(cf.sqref).split():
                min_col, min_row, max_col, max_row = range_boundaries(ref)
                cells = [
                    (r, c, ws.cell(r, c).value)
                    for r in range(min_row, max_row + 1)
                    for c in range(min_col, max_col + 1)
                ]
                numbers = [v for _, _, v in cells if isinstance(v, int | float)]
                if not numbers:
                    continue
                lo, hi = min(numbers), max(numbers)
                for r, c, v in cells:
                    if isinstance(v, int | float):
                        t = 0.0 if hi == lo else (v - lo) / (hi - lo)
                        out[(r, c)] = tuple(
                            round(a + (b - a) * t) for a, b in zip(low, high, strict=True)
                        )  # type: ignore[assignment]
    return out


def render(workbook: Path, target: Path, sheet: str = "Matrix", max_rows: int = 60) -> None:
    ws = openpyxl.load_workbook(workbook)[sheet]
    rows = min(ws.max_row, max_rows)
    cols = ws.max_column
    widths = [
        round((ws.column_dimensions[get_column_letter(c)].width or 8.43) * 7 + 5)
        for c in range(1, cols + 1)
    ]
    heights = []
    for r in range(1, rows + 1):
        lines = max(
            (str(ws.cell(r, c).value).count("\n") + 1 for c in range(1, cols + 1)), default=1
        )
        heights.append(ROW_HEIGHT * lines)
    width = HEAD_WIDTH + sum(widths)
    height = ROW_HEIGHT + sum(heights)
    image = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(image)
    scale = _scale_colours(ws)
    small = _font(False, False, 11)
    # column letters and row numbers, as a spreadsheet shows them
    draw.rectangle([0, 0, width, ROW_HEIGHT], fill=HEADER_BG)
    x = HEAD_WIDTH
    for c, w in enumerate(widths, 1):
        draw.rectangle([x, 0, x + w, ROW_HEIGHT], outline=GRID)
        draw.text(
            (x + w / 2, ROW_HEIGHT / 2), get_column_letter(c), fill="black", font=small, anchor="mm"
        )
        x += w
    y = ROW_HEIGHT
    for r in range(1, rows + 1):
        h = heights[r - 1]
        draw.rectangle([0, y, HEAD_WIDTH, y + h], fill=HEADER_BG, outline=GRID)
        draw.text((HEAD_WIDTH / 2, y + h / 2), str(r), fill="black", font=small, anchor="mm")
        x = HEAD_WIDTH
        for c in range(1, cols + 1):
            w = widths[c - 1]
            cell = ws.cell(r, c)
            fill = scale.get((r, c))
            if fill is None and cell.fill is not None and cell.fill.fill_type == "solid":
                fill = _rgb(cell.fill.fgColor.rgb)
            draw.rectangle([x, y, x + w, y + h], fill=fill or "white", outline=GRID)
            x += w
        y += h
    # text last, so long text may run over empty neighbours as it does in a spreadsheet
    y = ROW_HEIGHT
    for r in range(1, rows + 1):
        h = heights[r - 1]
        x = HEAD_WIDTH
        for c in range(1, cols + 1):
            w = widths[c - 1]
            cell = ws.cell(r, c)
            text = _shown(cell.value, cell.number_format)
            if text:
                font = _font(bool(cell.font.b), bool(cell.font.i), 14 if cell.font.sz == 12 else 13)
                colour = _rgb(cell.font.color.rgb if cell.font.color is not None else None)
                numeric = isinstance(cell.value, int | float)
                centred = cell.alignment.horizontal == "center"
                if numeric:
                    draw.multiline_text(
                        (x + w - 6, y + h / 2), text, fill=colour or "black", font=font, anchor="rm"
                    )
                elif centred:
                    draw.multiline_text(
                        (x + w / 2, y + h / 2),
                        text,
                        fill=colour or "black",
                        font=font,
                        anchor="mm",
                        align="center",
                    )
                else:
                    draw.multiline_text(
                        (x + 5, y + h / 2), text, fill=colour or "black", font=font, anchor="lm"
                    )
            x += w
        y += h
    image.save(target)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("workbook", type=Path)
    parser.add_argument("target", type=Path)
    parser.add_argument("--sheet", default="Matrix")
    parser.add_argument("--max-rows", type=int, default=60)
    args = parser.parse_args()
    render(args.workbook, args.target, args.sheet, args.max_rows)


if __name__ == "__main__":
    main()
