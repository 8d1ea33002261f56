"""`skips.maybe_total_labels` (the polars pre-filter of `sheetplan.labelled`) must keep every
cell `is_total_label` accepts: a label it dropped would be sent as a segment and paid for."""

from __future__ import annotations

import random

import polars as pl

from batchcount.plan.skips import _TOTAL_LABELS, is_total_label, maybe_total_labels


def test_prefilter_keeps_every_total_label() -> None:
    rng = random.Random(10)
    cells: list[str] = []
    for label in sorted(_TOTAL_LABELS):
        cells += [label, label.upper(), label.title(), f" {label} :", f"{label}*", f"{label}."]
        cells += [label.replace(" ", "  "), f"\t{label}", label.replace(" ", "\u00a0")]
        cells += [f"{label}\x1f", label.replace("s", "ſ"), label.replace("ss", "ß")]
    alphabet = "abglmostuTOTALSUMGRAND :.*-\t\u00a0ßſéи"
    for _ in range(20_000):
        cells.append("".join(rng.choice(alphabet) for _ in range(rng.randint(0, 14))))
    kept = set(maybe_total_labels(pl.Series(cells, dtype=pl.String)))
    labels = [i for i, c in enumerate(cells) if is_total_label(c)]
    assert len(labels) > 150
    assert [cells[i] for i in labels if i not in kept] == []
    plain = ["Germany VP Sales", "Spain", "Totally remote", "Summit 2024", "Sumatra"]
    assert maybe_total_labels(pl.Series(plain, dtype=pl.String)) == []
