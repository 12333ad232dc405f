"""The README's lecture plan covers the 170-minute slot with the notebooks that exist."""
import re

from conftest import REPO

SLOT_MINUTES = 170  # Tuesday 3:30-6:20 pm (lecture-12-tinyml-basics.txt)


def plan_rows():
    text = (REPO / "README.md").read_text()
    section = text[text.index("## Lecture plan"):]
    section = section[:section.index("\n## ", 1)]
    rows = [line.split("|")[1:-1] for line in section.splitlines() if line.startswith("| ")]
    return [[cell.strip() for cell in row] for row in rows[1:] if row[0].strip() != "---"]


def test_minutes_fill_the_slot():
    rows = plan_rows()
    minutes = [int(r[4]) for r in rows if r[1] != "total"]
    assert sum(minutes) == SLOT_MINUTES
    assert next(int(r[4]) for r in rows if r[1] == "total") == SLOT_MINUTES


def test_every_notebook_is_planned_and_every_planned_one_exists():
    """Is each notebook in notebooks/ in the plan, and each named section one of its headings?"""
    planned = {name for r in plan_rows() for name in re.findall(r"`(\d\d_\w+)`", r[2])}
    existing = {p.stem for p in (REPO / "notebooks").glob("*.ipynb")}
    assert planned == existing
    for row in plan_rows():
        names = re.findall(r"`(\d\d_\w+)`", row[2])
        if len(names) != 1 or not row[3][:1].isupper():
            continue  # several notebooks, or a description ('title', 'all (...)', '1-7 (...)')
        headings = (REPO / "notebooks" / f"{names[0]}.py").read_text().lower()
        for section in re.split(r"; | / ", row[3]):
            assert f"# ## {section.lower()}" in headings, (names[0], section)
