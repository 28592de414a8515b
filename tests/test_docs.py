"""The documentation stands alone: every KAIRAN_* variable documented, no links out of the repo."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_every_environment_variable_of_the_settings_is_documented():
    settings = (ROOT / "config" / "settings.py").read_text(encoding="utf-8")
    names = set(re.findall(r'_env(?:_bool)?\(\s*"([A-Z0-9_]+)"', settings))
    documented = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")

    assert len(names) > 40
    missing = sorted(n for n in names if f"KAIRAN_{n}`" not in documented)
    assert not missing, f"add these to docs/configuration.md: {missing}"


def test_docs_do_not_point_outside_the_repository():
    pages = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
    pages += sorted(ROOT.glob("*/README.md"))
    for page in pages:
        text = page.read_text(encoding="utf-8")
        assert "../shared" not in text, page
        for target in re.findall(r"\]\(([^)#]+)(?:#[^)]*)?\)", text):
            if target.startswith(("http://", "https://", "mailto:")):
                continue
            assert (page.parent / target).exists(), f"{page.name}: broken link {target}"


def test_licence_is_the_full_agpl_text():
    text = (ROOT / "LICENSE").read_text(encoding="utf-8")

    assert text.lstrip().startswith("GNU AFFERO GENERAL PUBLIC LICENSE")
    assert "Version 3, 19 November 2007" in text
    assert "END OF TERMS AND CONDITIONS" in text
    assert len(text) > 30_000
