"""The README and docs/*.md link only to files that exist, link every docs page, and never name a notes file.

The lecture notes are not in the repository: the pages, and every tracked .py, .ipynb, .md and .js file,
cite them by title and topic, never by file name or number ("NNN_" and 16 hex digits ".txt", "note 001").
"""

import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
DOCS = sorted((ROOT / "docs").glob("*.md"))
PAGES = [README, *DOCS]

LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)\)")
NOTES_FILE = re.compile(r"\d{3}_[0-9a-f]{16}")
NOTE_BY_NUMBER = re.compile(r"\bnotes?\s+0\d\d\b", re.I)
SOURCE_SUFFIXES = (".py", ".ipynb", ".md", ".js")


def without_code_blocks(page):
    return re.sub(r"```.*?```", "", page.read_text(encoding="utf-8"), flags=re.S)


def prose(page):
    """The page without fenced code blocks and inline code spans (links there are not links)."""
    return re.sub(r"`[^`\n]*`", "", without_code_blocks(page))


def relative_links(page):
    return [target for target in LINK.findall(prose(page)) if not re.match(r"[a-z]+:", target)]


def anchor(heading):
    """GitHub's anchor for a Markdown heading: lower case, punctuation dropped, spaces to hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def anchors(page):
    lines = without_code_blocks(page).splitlines()
    return {anchor(line.lstrip("#")) for line in lines if re.match(r"#{1,6} ", line)}


def test_there_are_docs_pages():
    assert len(DOCS) >= 8


@pytest.mark.parametrize("page", PAGES, ids=lambda page: page.name)
def test_every_relative_link_points_to_a_file_that_exists(page):
    for target in relative_links(page):
        path, _, fragment = target.partition("#")
        file = (page.parent / path).resolve() if path else page
        assert file.exists(), f"{page.name} links to {target}, which does not exist"
        if fragment and file.suffix == ".md":
            assert fragment in anchors(file), f"{page.name} links to {target}: no such heading"


def test_the_readme_links_every_docs_page():
    linked = {(ROOT / target.partition("#")[0]).resolve() for target in relative_links(README)}
    assert set(DOCS) <= linked, sorted(page.name for page in set(DOCS) - linked)


@pytest.mark.parametrize("page", PAGES, ids=lambda page: page.name)
def test_no_line_names_a_notes_file(page):
    for number, line in enumerate(page.read_text(encoding="utf-8").splitlines(), 1):
        assert not NOTES_FILE.search(line), f"{page.name}:{number} names a notes file: {line}"
        assert not NOTE_BY_NUMBER.search(line), f"{page.name}:{number} cites a note by number, not title: {line}"


def test_the_readme_stays_short_and_lists_the_engine_in_reading_order():
    text = README.read_text(encoding="utf-8")
    assert len(text.splitlines()) <= 300
    section = text.split("## Read the engine", 1)[1].split("\n## ", 1)[0]
    positions = [section.index(f"{name} (") for name in ("ops.py", "tensor.py", "backward.py")]
    assert positions == sorted(positions)


def tracked_sources():
    """Every .py, .ipynb, .md and .js file git tracks, except this one, which describes the patterns."""
    listed = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, text=True, check=True)
    paths = [ROOT / name for name in listed.stdout.split("\0") if name.endswith(SOURCE_SUFFIXES)]
    return [path for path in paths if path.resolve() != Path(__file__).resolve() and path.is_file()]


@pytest.mark.skipif(not (ROOT / ".git").exists(), reason="lists the files git tracks: needs a git checkout")
def test_no_tracked_source_names_a_notes_file_or_cites_a_note_by_number():
    sources = tracked_sources()
    assert len(sources) > 50  # the listing found the repository's files
    offending = []
    for path in sources:
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if NOTES_FILE.search(line) or NOTE_BY_NUMBER.search(line):
                offending.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()[:100]}")
    assert not offending, "cite the lecture notes by title and topic:\n" + "\n".join(offending)
