"""tools/export_slides.py: one reveal.js deck per notebook, slides as the metadata says."""
import importlib.util
import re

import nbformat

from conftest import REPO

spec = importlib.util.spec_from_file_location("export_slides", REPO / "tools" / "export_slides.py")
export_slides = importlib.util.module_from_spec(spec)
spec.loader.exec_module(export_slides)


def test_deck_has_a_section_per_slide_and_the_speaker_notes(tmp_path):
    """Does the exported 00 deck have one top-level section per 'slide' cell and its notes?"""
    path = REPO / "notebooks" / "00_why_tinyml.ipynb"
    nb = nbformat.read(path, as_version=4)
    slides = sum(c.metadata.get("slideshow", {}).get("slide_type") == "slide" for c in nb.cells)
    out = export_slides.export(path, tmp_path, execute=False)
    html = out.read_text()
    assert out.name == "00_why_tinyml.slides.html"
    # reveal.js: each slide is a <section> holding one <section> per subslide
    assert len(re.findall(r"<section>\s*<section>", html)) == slides
    assert 'class="notes"' in html and "Speaker notes" in html


def test_command_line_reports_a_broken_notebook(tmp_path, capsys):
    (tmp_path / "broken.ipynb").write_text("{ not json")
    assert export_slides.main(["--no-execute", "--out", str(tmp_path / "out"),
                               str(tmp_path / "broken.ipynb")]) == 1
    assert capsys.readouterr().out.startswith("FAILED")


def test_executed_deck_keeps_figures_and_dashboards_as_images(tmp_path):
    """Issue 20: does an executed deck carry its figures, and a dashboard's figure and readout as
    they were (not its Python repr), on the lecture's 1280x800 canvas?"""
    import json
    nb = nbformat.v4.new_notebook(metadata={
        "kernelspec": {"name": "python3", "language": "python", "display_name": "Python 3"},
        "rise": json.loads((REPO / "notebooks" / "slides.json").read_text())})
    nb.cells = [nbformat.v4.new_markdown_cell("# a deck", metadata={"slideshow": {"slide_type": "slide"}}),
                nbformat.v4.new_code_cell("# the dashboard\nfrom tinyml_course.ui.widgets.patch import "
                                          "patch_dashboard\npatch_dashboard()")]
    path = tmp_path / "deck.ipynb"
    nbformat.write(nb, path)
    html = export_slides.export(path, tmp_path / "out").read_text()
    assert html.count("data:image/png;base64,") >= 2  # the dashboard's two figures
    assert "4x4 patches" in html and "PatchDashboard(" not in html
    assert "width: 1280," in html and "height: 800," in html  # reveal.js's canvas
