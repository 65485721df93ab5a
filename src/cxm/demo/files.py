"""The demo's files: what each one is, how it is imported, and the manifest.

The manifest (``manifest.json``, written last) records the config that produced
the files, so a directory whose manifest matches can be reused as is, and tells
the loader which importer, source name, id column and mapping each file needs.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

MANIFEST = "manifest.json"


@dataclass(frozen=True)
class ImportSpec:
    """How one generated file goes through ``cxm.collect.importers.import_file``."""

    file: str
    kind: str  # events | customers | orders | tickets | reviews
    source: str
    channel: str  # the CXM channel of the source the file is imported under
    rows: int
    id_column: str | None = None
    mapping: dict[str, str] | None = None


@dataclass(frozen=True)
class DemoFiles:
    directory: Path
    config: dict[str, Any]
    imports: list[ImportSpec]
    truth: dict[str, int] = field(default_factory=dict)  # ground-truth file -> rows

    def path(self, name: str) -> Path:
        return self.directory / name

    def rows(self, kind: str) -> int:
        return sum(spec.rows for spec in self.imports if spec.kind == kind)


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def write_manifest(files: DemoFiles) -> None:
    payload = {
        "config": files.config,
        "imports": [
            {**spec.__dict__, "sha256": sha256(files.path(spec.file))} for spec in files.imports
        ],
        "truth": files.truth,
    }
    text = orjson.dumps(payload, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS)
    files.path(MANIFEST).write_bytes(text)


def read_manifest(directory: Path) -> DemoFiles | None:
    """The files described by ``directory``'s manifest, or None when there is none."""
    try:
        payload = orjson.loads((directory / MANIFEST).read_bytes())
    except (OSError, orjson.JSONDecodeError):
        return None
    imports = []
    for entry in payload["imports"]:
        entry.pop("sha256", None)
        imports.append(ImportSpec(**entry))
    return DemoFiles(directory, payload["config"], imports, payload.get("truth", {}))
