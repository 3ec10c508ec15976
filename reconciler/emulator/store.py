"""Durable resource store on SQLite: one row per ARM resource keyed by lower-cased id, indexed by parent."""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

_SCHEMA = """
CREATE TABLE IF NOT EXISTS resources (
    key TEXT PRIMARY KEY, id TEXT NOT NULL, kind TEXT NOT NULL, parent TEXT NOT NULL,
    sub TEXT NOT NULL, name TEXT NOT NULL, lname TEXT NOT NULL, body TEXT NOT NULL, meta TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS res_parent ON resources (parent, kind, key);
CREATE INDEX IF NOT EXISTS res_sub ON resources (sub, kind, key);
CREATE INDEX IF NOT EXISTS res_name ON resources (sub, kind, lname);
CREATE TABLE IF NOT EXISTS ops (id TEXT PRIMARY KEY, body TEXT NOT NULL);
"""


@dataclass
class Record:
    """One stored resource: its ARM body (as echoed) plus emulator-private metadata."""

    id: str
    kind: str
    parent: str
    sub: str
    name: str
    body: dict[str, Any]
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def key(self) -> str:
        return self.id.lower()


def _row(row: tuple[Any, ...]) -> Record:
    return Record(row[0], row[1], row[2], row[3], row[4], json.loads(row[5]), json.loads(row[6]))


_COLS = "id, kind, parent, sub, name, body, meta"


class Store:
    """SQLite-backed store; one connection guarded by a lock, one transaction per mutating request."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        # A single connection: ":memory:" databases are per-connection, and SQLite serialises writers anyway.
        self._conn = sqlite3.connect(str(path) if path else ":memory:", check_same_thread=False, isolation_level=None)
        if path:
            self._conn.execute("PRAGMA journal_mode=WAL")
            # FULL: a commit is on disk before the response is written, so acknowledged writes survive a crash.
            self._conn.execute("PRAGMA synchronous=FULL")
        self._conn.executescript(_SCHEMA)
        self._lock = threading.RLock()
        self._depth = 0

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    @contextmanager
    def transaction(self) -> Iterator[Store]:
        with self._lock:
            outer = self._depth == 0
            if outer:
                self._conn.execute("BEGIN IMMEDIATE")
            self._depth += 1
            try:
                yield self
            except BaseException:
                self._depth -= 1
                if outer:
                    self._conn.execute("ROLLBACK")
                raise
            self._depth -= 1
            if outer:
                self._conn.execute("COMMIT")

    def _query(self, sql: str, args: tuple[Any, ...]) -> list[tuple[Any, ...]]:
        with self._lock:
            return self._conn.execute(sql, args).fetchall()

    def get(self, rid: str) -> Record | None:
        rows = self._query(f"SELECT {_COLS} FROM resources WHERE key = ?", (rid.lower(),))
        return _row(rows[0]) if rows else None

    def put(self, rec: Record) -> None:
        with self._lock:
            self._conn.execute(
                "INSERT OR REPLACE INTO resources (key, id, kind, parent, sub, name, lname, body, meta) "
                "VALUES (?,?,?,?,?,?,?,?,?)",
                (
                    rec.key,
                    rec.id,
                    rec.kind,
                    rec.parent.lower(),
                    rec.sub.lower(),
                    rec.name,
                    rec.name.lower(),
                    json.dumps(rec.body),
                    json.dumps(rec.meta),
                ),
            )

    def delete(self, rid: str) -> None:
        with self._lock:
            self._conn.execute("DELETE FROM resources WHERE key = ?", (rid.lower(),))

    def children(self, parent: str, kind: str, after: str = "", limit: int = 1_000_000) -> list[Record]:
        rows = self._query(
            f"SELECT {_COLS} FROM resources WHERE parent = ? AND kind = ? AND key > ? ORDER BY key LIMIT ?",
            (parent.lower(), kind, after.lower(), limit),
        )
        return [_row(r) for r in rows]

    def any_child(self, parent: str) -> Record | None:
        rows = self._query(f"SELECT {_COLS} FROM resources WHERE parent = ? LIMIT 1", (parent.lower(),))
        return _row(rows[0]) if rows else None

    def in_subscription(self, sub: str, kind: str, after: str = "", limit: int = 1_000_000) -> list[Record]:
        rows = self._query(
            f"SELECT {_COLS} FROM resources WHERE sub = ? AND kind = ? AND key > ? ORDER BY key LIMIT ?",
            (sub.lower(), kind, after.lower(), limit),
        )
        return [_row(r) for r in rows]

    def resources(self, sub: str, under: str | None = None) -> list[Record]:
        """Every ARM resource of a subscription (optionally only those under a resource group), in key order.

        Subscriptions and resource groups themselves are not resources of a group listing, and soft-deleted versions
        (in a gallery's recycle bin) are not resources at all, so they are left out.
        """
        sql = (
            f"SELECT {_COLS} FROM resources WHERE sub = ? "
            "AND kind NOT IN ('subscription', 'resourceGroup', 'softDeletedVersion')"
        )
        args: tuple[Any, ...] = (sub.lower(),)
        if under is not None:
            sql += " AND key LIKE ? ESCAPE '\\'"
            args += (_like_prefix(under),)
        return [_row(r) for r in self._query(sql + " ORDER BY key", args)]

    def under(self, rid: str, kind: str) -> list[Record]:
        """Every record of `kind` whose id lies under `rid`, in key order."""
        rows = self._query(
            f"SELECT {_COLS} FROM resources WHERE kind = ? AND key LIKE ? ESCAPE '\\' ORDER BY key",
            (kind, _like_prefix(rid)),
        )
        return [_row(r) for r in rows]

    def by_name(self, sub: str, kind: str, name: str) -> list[Record]:
        rows = self._query(
            f"SELECT {_COLS} FROM resources WHERE sub = ? AND kind = ? AND lname = ?",
            (sub.lower(), kind, name.lower()),
        )
        return [_row(r) for r in rows]

    def all_of_kind(self, kind: str) -> list[Record]:
        return [_row(r) for r in self._query(f"SELECT {_COLS} FROM resources WHERE kind = ? ORDER BY key", (kind,))]

    def put_op(self, op_id: str, body: dict[str, Any]) -> None:
        with self._lock:
            self._conn.execute("INSERT OR REPLACE INTO ops (id, body) VALUES (?, ?)", (op_id.lower(), json.dumps(body)))

    def get_op(self, op_id: str) -> dict[str, Any] | None:
        rows = self._query("SELECT body FROM ops WHERE id = ?", (op_id.lower(),))
        return json.loads(rows[0][0]) if rows else None

    def dump(self) -> dict[str, Any]:
        rows = self._query(f"SELECT {_COLS} FROM resources ORDER BY key", ())
        return {"resources": [{"id": r[0], "kind": r[1], "body": json.loads(r[5])} for r in rows]}

    def delete_tree(self, rid: str) -> int:
        """Delete a resource and everything whose id lies under it (resource group deletion)."""
        key = rid.lower()
        with self._lock:
            cur = self._conn.execute(
                "DELETE FROM resources WHERE key = ? OR key LIKE ? ESCAPE '\\'", (key, _like_prefix(key))
            )
            return cur.rowcount


def _like_prefix(rid: str) -> str:
    """A LIKE pattern for every id strictly under `rid`."""
    key = rid.lower()
    return key.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "/%"
