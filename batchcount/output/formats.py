"""Excel number formats, apart from `style` so the run can name them without importing
openpyxl (~0.15 s, loaded in the background while counting: see `api/job.py`)."""

from __future__ import annotations

MONEY_FORMAT = "$#,##0.00##"  # 4 decimals when needed: prices like $0.0125 stay exact
COUNT_FORMAT = "#,##0"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm:ss"
