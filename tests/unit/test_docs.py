"""The repository's documentation stays true: links resolve inside it, the CSV format it
describes is the one the importer reads."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from w365desk.services.accounts.importing import EXAMPLE_CSV, IMPORT_COLUMNS

ROOT = Path(__file__).resolve().parents[2]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
_LINK = re.compile(r"\]\(([^)\s]+)\)")


@pytest.mark.parametrize("page", DOCS, ids=lambda page: page.name)
def test_links_stay_inside_the_repository_and_resolve(page: Path) -> None:
    for target in _LINK.findall(page.read_text(encoding="utf-8")):
        path = target.split("#", 1)[0]
        assert "://" not in target and not target.startswith("/"), f"{page.name}: {target}"
        resolved = (page.parent / path).resolve()
        assert resolved.is_relative_to(ROOT), f"{page.name} links outside the repository: {target}"
        assert resolved.exists(), f"{page.name} links to a missing file: {target}"


def test_the_readme_documents_every_import_column_and_the_importers_example() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Importing accounts (CSV)", 1)[1].split("\n## ", 1)[0]
    for column in IMPORT_COLUMNS:
        assert f"`{column}`" in section, column
    example = section.split("```csv\n", 1)[1].split("```", 1)[0]
    assert example == EXAMPLE_CSV
