"""Measure the cost of the hash-chained audit log against plain inserts of the same rows.

Each append is committed on its own, as in a request. Prints appends/s for both, their ratio, and how fast
`audit verify` walks the chain. SQLite (a temporary file) by default; --database-url for PostgreSQL
(the database is emptied).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import insert, text

from examplatform import create_app
from examplatform.audit.models import AuditEntry
from examplatform.audit.services import record, verify_chain
from examplatform.extensions import db


def _prepare(url: str) -> None:
    from flask_migrate import upgrade

    if url.startswith("postgresql"):
        from sqlalchemy import create_engine

        engine = create_engine(url)
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        engine.dispose()
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": True})
    with app.app_context():
        upgrade()


def _timed(n: int, step) -> list[float]:
    times = []
    for i in range(n):
        start = time.perf_counter()
        step(i)
        times.append(time.perf_counter() - start)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    workdir = tempfile.mkdtemp(prefix="bench-audit-")
    url = args.database_url or f"sqlite:///{workdir}/bench.sqlite3"
    _prepare(url)
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": True})
    now = datetime.now(UTC)
    with app.app_context():
        db.session.execute(text("CREATE TABLE bench_plain AS SELECT * FROM audit_entry WHERE 1 = 0"))
        db.session.commit()
        plain = AuditEntry.__table__.to_metadata(db.MetaData(), name="bench_plain")

        def plain_insert(i: int) -> None:
            db.session.execute(
                insert(plain).values(
                    id=i + 1,
                    seq=i + 1,
                    occurred_at=now,
                    actor_id=None,
                    actor_label="bench",
                    institution_id=None,
                    action="bench.event",
                    object_type="thing",
                    object_id=str(i),
                    reason="",
                    details=f'{{"i":{i}}}',
                    ip="127.0.0.1",
                    prev_hash="0" * 64,
                    entry_hash="0" * 64,
                )
            )
            db.session.commit()

        def chained(i: int) -> None:
            record(
                "bench.event", actor=None, now=now, object_type="thing", object_id=i, details={"i": i}, ip="127.0.0.1"
            )
            db.session.commit()

        base = _timed(args.n, plain_insert)
        chain = _timed(args.n, chained)
        start = time.perf_counter()
        result = verify_chain()
        verify_s = time.perf_counter() - start
        assert result.ok and result.checked == args.n

    def p95(values: list[float]) -> float:
        return statistics.quantiles(values, n=20)[18] * 1000

    print(f"database: {url.split(':')[0]}   rows: {args.n}")
    for label, times in (("plain insert + commit  ", base), ("chained append + commit", chain)):
        rate = args.n / sum(times)
        print(f"{label}: {rate:8.0f} /s   p50 {statistics.median(times) * 1000:.2f} ms   p95 {p95(times):.2f} ms")
    print(f"ratio chained / plain (time per append): {sum(chain) / sum(base):.2f}x")
    print(f"verify: {result.checked} entries in {verify_s * 1000:.0f} ms ({result.checked / verify_s:.0f} entries/s)")


if __name__ == "__main__":
    main()
