"""Baseline: a bare Flask app that reads one row with psycopg2, like GET /api/v1/items/<id>.

One connection per worker thread, opened on first use and kept: the least work a database read can
do, so the generated app's pooled SQLAlchemy read is compared with the floor, not with a strawman.
BASELINE_DATABASE_URL names the database and BASELINE_QUERY the one-row SELECT (one %s parameter).
"""

import os
import threading

import psycopg2
from flask import Flask, abort

app = Flask(__name__)
_local = threading.local()


def _connection():
    conn = getattr(_local, "conn", None)
    if conn is None or conn.closed:
        conn = psycopg2.connect(os.environ["BASELINE_DATABASE_URL"])
        conn.autocommit = True
        _local.conn = conn
    return conn


@app.get("/api/v1/items/<int:item_id>")
def read_item(item_id):
    with _connection().cursor() as cur:
        cur.execute(os.environ["BASELINE_QUERY"], (item_id,))
        row = cur.fetchone()
        if row is None:
            abort(404)
        names = [column.name for column in cur.description]
    # The same JSON the app returns: timestamps as ISO 8601 text.
    return {
        name: value.isoformat() if hasattr(value, "isoformat") else value
        for name, value in zip(names, row, strict=True)
    }
