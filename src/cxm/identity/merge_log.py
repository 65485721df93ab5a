"""Applying merges: the merge log, the snapshot an unmerge needs, and the moves.

Each merge writes one ``merges`` row (kept, merged, cause, rule, score, when) and,
in ``merge_members``, which identifiers each side had at that moment (the row's
``profile_id`` says the side), so ``unmerge`` can split the person again.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from cxm.identity.resolve_batch import MergeDecision
from cxm.identity.rows import move_profiles
from cxm.store import Transaction


def record_merges(tx: Transaction, merges: Sequence[MergeDecision], now: datetime) -> list[str]:
    """Log, snapshot and carry out ``merges`` (in order); return their merge ids."""
    if not merges:
        return []
    absorbed: dict[str, list[str]] = {}
    survivor: dict[str, str] = {}
    merge_ids = []
    for merge in merges:
        merge_id = uuid.uuid4().hex
        merge_ids.append(merge_id)
        kept_side = [merge.kept, *absorbed.get(merge.kept, [])]
        merged_side = [merge.merged, *absorbed.get(merge.merged, [])]
        sides = [*kept_side, *merged_side]
        marks = ", ".join("?" for _ in sides)
        merged_marks = ", ".join("?" for _ in merged_side)
        tx.execute(
            "INSERT INTO merge_members (merge_id, id_type, id_value, profile_id) "
            f"SELECT ?, id_type, id_value, CASE WHEN profile_id IN ({merged_marks}) "
            f"THEN ? ELSE ? END FROM identifiers WHERE profile_id IN ({marks})",
            [merge_id, *merged_side, merge.merged, merge.kept, *sides],
        )
        tx.execute(
            "INSERT INTO merges (merge_id, kept, merged, cause, rule, score, merged_at, "
            "profile_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [
                merge_id,
                merge.kept,
                merge.merged,
                merge.cause,
                merge.rule,
                merge.score,
                now,
                merge.kept,
            ],
        )
        absorbed.setdefault(merge.kept, []).extend(merged_side)
        survivor[merge.merged] = merge.kept

    def final(profile_id: str) -> str:
        while profile_id in survivor:
            profile_id = survivor[profile_id]
        return profile_id

    moves = [(merged, final(merged)) for merged in survivor]
    for merged, kept in moves:
        tx.execute(
            "UPDATE profiles SET merged_into = ?, updated_at = ? WHERE profile_id = ?",
            [kept, now, merged],
        )
    for kept in {kept for _, kept in moves}:
        tx.execute("UPDATE profiles SET updated_at = ? WHERE profile_id = ?", [now, kept])
    move_profiles(tx, moves)
    return merge_ids
