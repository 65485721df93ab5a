"""Undoing a wrong merge: split the person again and give each side its rows back.

The merge's snapshot (``merge_members``) says which identifiers each side had.
Identifiers that arrived since join the side they are nearest to in the link
graph (a breadth-first search from both sides at once); links that cross the two
sides are blocked (``unmerge:<merge_id>``) so the next stitch pass does not merge
them again. Fact rows then follow their strongest identifier, as in stitching.
Consent and preference entries carry the ``type:value`` identifier they were
recorded under, so they follow that identifier back too. Rows in tables identity
cannot attribute (another stage's tables with only a ``profile_id``) stay with the
surviving profile.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from datetime import UTC, datetime

import pyarrow as pa

from cxm.identity.errors import IdentityError
from cxm.identity.extract import FACT_TABLES, read_batch
from cxm.identity.rows import assign_rows, fill_by_person_key, stage
from cxm.identity.stitch import identity_transaction
from cxm.store import Database, Transaction

_ALL_ROWS = 1 << 40
Pair = tuple[str, str]


@dataclass(frozen=True)
class UnmergeResult:
    merge_id: str
    kept: str
    restored: str
    identifiers_moved: int
    links_blocked: int
    rows_moved: dict[str, int]


def _holder(tx: Transaction, profile_id: str) -> str:
    for _ in range(64):
        rows = tx.query("SELECT merged_into FROM profiles WHERE profile_id = ?", [profile_id])
        if not rows or rows[0][0] is None:
            return profile_id
        profile_id = rows[0][0]
    return profile_id


def _sides(
    current: set[Pair], members: list[tuple[str, str, str]], merged: str, links: list[Pair]
) -> tuple[dict[Pair, bool], list[tuple[Pair, Pair]]]:
    """Which current identifiers go back to the merged side (True), and the
    links crossing the two sides."""
    adjacency: dict[Pair, list[Pair]] = {}
    edges = list(zip(links[0::2], links[1::2], strict=True))
    for a, b in edges:
        adjacency.setdefault(a, []).append(b)
        adjacency.setdefault(b, []).append(a)
    side: dict[Pair, bool] = {}
    queue: deque[Pair] = deque()
    for id_type, id_value, profile_id in members:
        pair = (id_type, id_value)
        if pair in current:
            side[pair] = profile_id == merged
            queue.append(pair)
    while queue:
        node = queue.popleft()
        for neighbour in adjacency.get(node, []):
            if neighbour in current and neighbour not in side:
                side[neighbour] = side[node]
                queue.append(neighbour)
    for pair in current:
        side.setdefault(pair, False)
    crossing = [(a, b) for a, b in edges if a in side and b in side and side[a] != side[b]]
    return side, crossing


def unmerge(database: Database, merge_id: str) -> UnmergeResult:
    """Split merge ``merge_id``: the merged profile comes back with its identifiers
    and rows. Raises ``IdentityError`` for an unknown or already undone merge."""
    with identity_transaction(database) as tx:
        found = tx.query(
            "SELECT kept, merged, undone_at FROM merges WHERE merge_id = ?", [merge_id]
        )
        if not found:
            raise IdentityError("merge_id", f"no merge {merge_id!r}", status=404)
        kept, merged, undone_at = found[0]
        if undone_at is not None:
            raise IdentityError("merge_id", f"merge {merge_id!r} was already undone", 409)
        holder = _holder(tx, kept)
        now = datetime.now(UTC)
        current = {
            (r[0], r[1])
            for r in tx.query(
                "SELECT id_type, id_value FROM identifiers WHERE profile_id = ?", [holder]
            )
        }
        members = [
            (r[0], r[1], r[2])
            for r in tx.query(
                "SELECT id_type, id_value, profile_id FROM merge_members WHERE merge_id = ?",
                [merge_id],
            )
        ]
        link_rows = tx.query(
            "SELECT l.left_type, l.left_value, l.right_type, l.right_value "
            "FROM identity_links l JOIN identifiers i "
            "ON i.id_type = l.left_type AND i.id_value = l.left_value "
            "WHERE i.profile_id = ? AND l.blocked IS NULL",
            [holder],
        )
        flat: list[Pair] = []
        for row in link_rows:
            flat += [(row[0], row[1]), (row[2], row[3])]
        side, crossing = _sides(current, members, merged, flat)
        for a, b in crossing:
            tx.execute(
                "UPDATE identity_links SET blocked = ? WHERE left_type = ? AND left_value = ? "
                "AND right_type = ? AND right_value = ?",
                [f"unmerge:{merge_id}", *a, *b],
            )
        going = [pair for pair, back in side.items() if back]
        stage(
            tx,
            "identity_unmerge_stage",
            "id_type TEXT, id_value TEXT",
            pa.table({"id_type": [p[0] for p in going], "id_value": [p[1] for p in going]}),
        )
        tx.execute(
            "UPDATE identifiers SET profile_id = ? FROM identity_unmerge_stage s "
            "WHERE identifiers.id_type = s.id_type AND identifiers.id_value = s.id_value",
            [merged],
        )
        tx.execute(
            "UPDATE profiles SET merged_into = NULL, updated_at = ? WHERE profile_id = ?",
            [now, merged],
        )
        tx.execute("UPDATE profiles SET updated_at = ? WHERE profile_id = ?", [now, holder])
        tx.execute("UPDATE merges SET undone_at = ? WHERE merge_id = ?", [now, merge_id])
        moved = _reassign_rows(tx, database.dialect, holder, merged, set(going))
        moved.update(_reassign_labelled(tx, holder, merged, going))
        fill_by_person_key(tx, profile_id=holder)
    return UnmergeResult(merge_id, holder, merged, len(going), len(crossing), moved)


def _reassign_rows(
    tx: Transaction, dialect: str, holder: str, merged: str, going: set[Pair]
) -> dict[str, int]:
    moved: dict[str, int] = {}
    for table in FACT_TABLES:
        rows = read_batch(tx, dialect, table, _ALL_ROWS, profile_id=holder)
        keys = [
            key
            for key, found in zip(rows.keys, rows.identifiers, strict=True)
            if found and found[0] in going
        ]
        assign_rows(tx, table, keys, [merged] * len(keys))
        if keys:
            moved[table] = len(keys)
    return moved


# Person tables keyed by the identifier label the entry was recorded under.
LABELLED_TABLES = ("consent_ledger", "preference_entries")


def _reassign_labelled(
    tx: Transaction, holder: str, merged: str, going: list[Pair]
) -> dict[str, int]:
    labels = [f"{id_type}:{value}" for id_type, value in going] + [f"profile:{merged}"]
    stage(tx, "identity_unmerge_labels", "label TEXT", pa.table({"label": labels}))
    moved: dict[str, int] = {}
    for table in LABELLED_TABLES:
        count = int(
            tx.query(
                f"SELECT count(*) FROM {table} WHERE profile_id = ? "
                "AND identifier IN (SELECT label FROM identity_unmerge_labels)",
                [holder],
            )[0][0]
        )
        if count:
            tx.execute(
                f"UPDATE {table} SET profile_id = ? WHERE profile_id = ? "
                "AND identifier IN (SELECT label FROM identity_unmerge_labels)",
                [merged, holder],
            )
            moved[table] = count
    return moved
