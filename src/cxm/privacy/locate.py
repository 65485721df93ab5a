"""The rows of each table that belong to a subject, as one WHERE clause per table.

Export selects with these clauses and erase deletes with them, so the two can
never disagree about what "everything about this person" is.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cxm.privacy.coverage import personal_tables, table_columns
from cxm.privacy.identifier_columns import IdentifierColumns
from cxm.privacy.subject import Subject
from cxm.store import Database

# Free text is searched only for values this long: a short id ('42') would match
# unrelated input.
MIN_TEXT_MATCH = 6


@dataclass(frozen=True)
class TableMatch:
    table: str
    where: str
    params: list[Any]


def _in(expression: str, items: list[str]) -> tuple[str, list[Any]]:
    return f"{expression} IN ({', '.join('?' for _ in items)})", list(items)


def _clauses(
    subject: Subject, columns: dict[str, str], declared: IdentifierColumns | None
) -> list[tuple[str, list[Any]]]:
    family = sorted(subject.profile_ids)
    values = sorted(subject.values)
    emails = sorted(subject.emails)
    labels = sorted(subject.labels)
    found: list[tuple[str, list[Any]]] = []
    if family and "profile_id" in columns:
        found.append(_in("profile_id", family))
    if declared is None:
        return found
    for column in declared.values:
        if values:
            found.append(_in(f"CAST({column} AS TEXT)", values))
    for column in declared.emails:
        if emails:
            found.append(_in(f"lower(trim(CAST({column} AS TEXT)))", emails))
    for type_column, value_column in declared.typed:
        if labels:
            found.append(_in(f"{type_column} || ':' || {value_column}", labels))
    for source_column, id_column in declared.records:
        if labels:
            found.append(_in(f"'record:' || {source_column} || ':' || {id_column}", labels))
    for column in declared.labels:
        if labels:
            found.append(_in(column, labels))
    for column in declared.profile_refs:
        if family:
            found.append(_in(column, family))
    searchable = sorted(v.lower() for v in subject.all_values() if len(v) >= MIN_TEXT_MATCH)
    for column in declared.texts:
        for value in searchable:
            found.append((f"strpos(lower(CAST({column} AS TEXT)), ?) > 0", [value]))
    return found


def locate(database: Database, subject: Subject) -> list[TableMatch]:
    """One match per table that may hold the subject's rows, in a stable order."""
    columns = table_columns(database)
    matches = []
    for table, declared in sorted(personal_tables(database).items()):
        clauses = _clauses(subject, columns[table], declared)
        if not clauses:
            continue
        where = " OR ".join(f"({sql})" for sql, _ in clauses)
        params = [p for _, clause_params in clauses for p in clause_params]
        matches.append(TableMatch(table, where, params))
    return matches
