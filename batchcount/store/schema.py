"""The count store's tables, and setting them up in a new (or empty) database file."""

from __future__ import annotations

import sqlite3
import time

from batchcount import __version__

APPLICATION_ID = 0x62636E74  # "bcnt": marks the file as a batchcount count store
SCHEMA_VERSION = 1
SCHEMA = """
CREATE TABLE IF NOT EXISTS info (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL DEFAULT 'run',          -- run | import (a journal taken over)
    started REAL NOT NULL,                     -- epoch seconds
    finished REAL,                             -- NULL while running (or if it crashed)
    input TEXT,
    output TEXT,                               -- absolute path: "this output has cost"
    mode TEXT NOT NULL,
    base TEXT NOT NULL,                        -- normalised API base, or "sandbox"
    test INTEGER NOT NULL,                     -- 1: test mode (fictional counts)
    counted_new INTEGER NOT NULL DEFAULT 0,    -- distinct segments answered and paid here
    reused INTEGER NOT NULL DEFAULT 0,         -- distinct segments answered from the store
    failed INTEGER NOT NULL DEFAULT 0,
    preflight_skipped INTEGER NOT NULL DEFAULT 0,
    spent REAL NOT NULL DEFAULT 0,             -- sum of amount_charged receipts
    exit_code INTEGER,
    version TEXT NOT NULL,
    pid INTEGER,
    note TEXT
);
CREATE INDEX IF NOT EXISTS runs_output ON runs (output);
CREATE INDEX IF NOT EXISTS runs_started ON runs (started);
CREATE TABLE IF NOT EXISTS counts (
    fp TEXT NOT NULL,                          -- fingerprint of the canonical body (+ mode)
    mode TEXT NOT NULL,
    base TEXT NOT NULL,
    test INTEGER NOT NULL,                     -- the kind of run that sent it
    state TEXT NOT NULL CHECK (state IN ('sent', 'retrying', 'done', 'failed')),
    body TEXT NOT NULL,                        -- the exact JSON sent
    results_count INTEGER,                     -- the last answer (kept while recounting)
    amount_charged REAL,
    answer_test INTEGER,                       -- the answer carried X-Generect-Mode: test
    counted_at REAL,                           -- epoch seconds the answer landed
    paid_by INTEGER REFERENCES runs (id),      -- the run that paid for the answer
    owner INTEGER REFERENCES runs (id),        -- the run of the latest attempt
    sent_at REAL,
    sends INTEGER NOT NULL DEFAULT 0,
    rebilled INTEGER NOT NULL DEFAULT 0,       -- attempts that may be billed without receipt
    message TEXT,
    PRIMARY KEY (fp, mode, base, test)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS imports (
    journal TEXT NOT NULL,                     -- absolute path of the journal taken over
    created TEXT NOT NULL,                     -- its own creation stamp (identifies it)
    imported REAL NOT NULL,
    entries INTEGER NOT NULL,
    PRIMARY KEY (journal, created)
);
"""


def initialise(conn: sqlite3.Connection) -> None:
    for statement in SCHEMA.split(";"):
        if statement.strip():
            conn.execute(statement)
    conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
    conn.execute(
        "INSERT OR IGNORE INTO info VALUES ('created', ?), ('created_by', ?)",
        (time.strftime("%Y-%m-%d %H:%M:%S"), f"batchcount {__version__}"),
    )
