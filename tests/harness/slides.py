"""The lecture's RISE slideshow in a real browser: open it, run it from there, walk every slide.

Used by tests/test_browser.py (one server, one browser for every deck). A slide is
read in the page by ``READ_SLIDE``: the size the slides are laid out on (the 1280x800 canvas of
notebooks/slides.json, which reveal.js scales to the window), its overflow (content beyond the
canvas, or wider than its cell), the smallest rendered text size by kind, the
printed lines that wrap, the widgets on it and any widget shown as its Python repr.
"""
import json
import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SLIDES = json.loads((REPO / "notebooks" / "slides.json").read_text())
CANVAS = (SLIDES["width"], SLIDES["height"])  # px: the slide's layout size before scaling
# the smallest text a slide may show, in canvas px (notebooks/rise.css): prose, code and printed
# output, widget labels and controls
READABLE_PX = {"text": 24, "code": 18, "widget": 18}
# a widget shown as its Python repr instead of a live view (rise issue 119 with ipywidgets 8.1.3+)
REPR = re.compile(r"\b[A-Z]\w*(Dashboard|Widget|Box|Slider|Dropdown|Buttons|Output|Image|HTML)"
                  r"\((children|value|options|layout|description)=")
RUN_TIMEOUT_MS = 120_000  # a whole deck, on a shared 2-core machine
# a folder: walk() saves a screenshot of every slide there (NN_name-S.s.png; docs/lecture.md's
# slides are taken this way), e.g. TINYML_SLIDE_SHOTS=build/slide-shots
SHOTS_ENV = "TINYML_SLIDE_SHOTS"

# the present slide (the innermost section.present), measured in canvas px
READ_SLIDE = """() => {
  const leaf = Array.from(document.querySelectorAll('.reveal .slides section.present'))
    .filter(s => !s.querySelector('section.present')).pop();
  if (!leaf) return null;
  const slides = document.querySelector('.reveal .slides');
  const scale = slides.getBoundingClientRect().width / slides.offsetWidth || 1;
  const box = slides.getBoundingClientRect();
  const visible = el => { const r = el.getBoundingClientRect(); const cs = getComputedStyle(el);
    return r.width > 0 && r.height > 0 && cs.visibility !== 'hidden' && cs.display !== 'none'; };
  const cells = Array.from(leaf.querySelectorAll('.jp-Cell')).filter(visible);
  let bottom = 0, right = 0, wide = [];
  for (const c of cells) {
    const r = c.getBoundingClientRect();
    bottom = Math.max(bottom, (r.bottom - box.top) / scale);
    right = Math.max(right, (r.right - box.left) / scale);
    // (not the markdown container: its heading anchors sit outside it, unseen)
    for (const el of c.querySelectorAll('.jp-OutputArea-output, .jp-RenderedHTMLCommon pre, .jp-RenderedHTMLCommon table, img, .widget-box')) {
      if (visible(el) && el.scrollWidth > el.clientWidth + 8 && getComputedStyle(el).overflowX !== 'visible')
        wide.push((el.innerText || el.tagName).slice(0, 60));
      const er = el.getBoundingClientRect();
      right = Math.max(right, (er.right - box.left) / scale);
    }
  }
  const kind = el => el.closest('.jupyter-widgets, .widget-box, .widget-inline-hbox') ? 'widget'
    : el.closest('.jp-OutputArea-output pre, .cm-editor, code') ? 'code' : 'text';
  const smallest = {};
  const walker = document.createTreeWalker(leaf, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode, el = node.parentElement;
    if (!node.textContent.trim() || !visible(el) || el.closest('.jp-InputPrompt, .jp-OutputPrompt, .jp-RenderedHTMLCommon sub, .jp-RenderedHTMLCommon sup, .widget-readout, .jp-Cell-inputCollapser, .jp-Collapser')) continue;
    if (el.closest('.jp-OutputArea-output') && el.closest('.widget-html-content') && /redrawn in/.test(el.textContent)) continue;
    const px = parseFloat(getComputedStyle(el).fontSize);
    const k = kind(el);
    if (!(k in smallest) || px < smallest[k].px) smallest[k] = {px, text: node.textContent.trim().slice(0, 40)};
  }
  const wrapped = [];
  for (const pre of leaf.querySelectorAll('.jp-RenderedText pre')) {
    if (!visible(pre)) continue;
    const lines = pre.innerText.replace(/\\n$/, '').split('\\n').length;
    const lh = parseFloat(getComputedStyle(pre).lineHeight) || 1.25 * parseFloat(getComputedStyle(pre).fontSize);
    if (pre.getBoundingClientRect().height / scale > (lines + 0.6) * lh) wrapped.push(pre.innerText.slice(0, 60));
  }
  const idx = Array.from(document.querySelectorAll('.reveal .slides > section')).findIndex(s => s.classList.contains('present'));
  const parent = leaf.parentElement.tagName === 'SECTION' ? leaf.parentElement : null;
  const sub = parent ? Array.from(parent.children).filter(s => s.tagName === 'SECTION').indexOf(leaf) : 0;
  const heading = Array.from(leaf.querySelectorAll('h1, h2, h3')).find(visible);
  return {index: [idx, sub], title: ((heading || {}).innerText || '').replace('\u00b6', ''),
          bottom, right, wide, smallest, wrapped, scale, layout: [slides.offsetWidth, slides.offsetHeight],
          widgets: leaf.querySelectorAll('.jupyter-widgets.widget-container, .widget-vbox, .widget-interact').length,
          controls: leaf.querySelectorAll('.widget-slider, .widget-dropdown select, .widget-toggle-buttons, .widget-button').length,
          images: Array.from(leaf.querySelectorAll('.jp-OutputArea-output img')).filter(visible).length,
          text: leaf.innerText};
}"""

# is there a next slide (reveal's controls)?
HAS_NEXT = """() => !!document.querySelector('.reveal .controls .navigate-right.enabled, .reveal .controls .navigate-down.enabled')"""


def slideshow_url(lab, name):
    return lab.url(f"rise/notebooks/{name}")


def open_slideshow(browser, lab, name, viewport=CANVAS):
    """A page with the deck ``name``'s slideshow, its first slide shown."""
    page = browser.new_page(viewport={"width": viewport[0], "height": viewport[1]})
    page.goto(slideshow_url(lab, name))
    page.wait_for_selector(".reveal .slides section.present .jp-Cell", timeout=60_000)
    return page


# (index of the active cell, index of the last code cell) of the deck's notebook
CELL_POSITION = """() => { const cells = Array.from(document.querySelectorAll('.jp-Notebook .jp-Cell'));
    const code = cells.map((c, i) => c.classList.contains('jp-CodeCell') ? i : -1).filter(i => i >= 0);
    return [cells.findIndex(c => c.classList.contains('jp-mod-active')), code[code.length - 1]]; }"""


def run_from_slideshow(page):
    """Step through the deck with Shift+Enter (RISE's run-and-advance) from the first cell to the
    last code cell, as a presenter does, and wait until every code cell has run; then go back to
    the first slide."""
    page.locator(".reveal .slides section.present .jp-Cell").first.click()
    page.keyboard.press("Escape")  # command mode: Shift+Enter runs, it does not edit
    trail = []
    for _ in range(3 * page.locator(".jp-Notebook .jp-Cell").count()):
        active, last_code = page.evaluate(CELL_POSITION)
        trail.append(active)
        if active >= last_code:
            page.keyboard.press("Control+Enter")  # run the last code cell, add no new cell
            break
        page.keyboard.press("Shift+Enter")
        page.wait_for_timeout(60)  # RISE may move to the next slide before the next key
    page.evaluate("t => { window.__trail = t; }", trail)
    page.wait_for_function(
        """() => { const p = Array.from(document.querySelectorAll('.jp-Notebook .jp-CodeCell .jp-InputPrompt'));
                   return p.length > 0 && p.every(e => /\\[\\d+\\]/.test(e.innerText)); }""",
        timeout=RUN_TIMEOUT_MS)
    page.wait_for_timeout(500)  # widget views that arrive after the execute reply
    first_slide(page)


def first_slide(page):
    """Back to the first slide with reveal's controls (Home needs the notebook focused)."""
    back = page.locator(".reveal .controls .navigate-up.enabled, .reveal .controls .navigate-left.enabled")
    for _ in range(500):
        if not back.count():
            return
        back.first.click()
        page.wait_for_timeout(50)


def next_slide(page):
    """Go to the next slide or subslide; False at the end of the deck."""
    if not page.evaluate(HAS_NEXT):
        return False
    down = page.locator(".reveal .controls .navigate-down.enabled")  # a subslide first
    (down if down.count() else page.locator(".reveal .controls .navigate-right.enabled")).first.click()
    page.wait_for_timeout(150)
    return True


def walk(page, shots=None, stem="slide"):
    """Yield READ_SLIDE's reading of every slide from the first to the last; with ``shots`` (a
    folder) save each slide as shown, before the caller moves its controls, as
    ``{stem}-{slide}.{subslide}.png``."""
    first_slide(page)
    while True:
        slide = page.evaluate(READ_SLIDE)
        if shots:
            Path(shots).mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(Path(shots) / f"{stem}-{slide['index'][0]}.{slide['index'][1]}.png"))
        yield slide
        if not next_slide(page):
            return


def slide_problems(slide, canvas=CANVAS):
    """What a person in the room would see as wrong on this slide, one line each."""
    where = f"slide {slide['index'][0]}.{slide['index'][1]} ({slide['title'][:50]!r})"
    found = []
    layout = slide.get("layout")
    if layout and tuple(layout) != tuple(canvas):  # RISE's CSS stretches it to the window (rise.css)
        found.append(f"{where}: laid out on {layout[0]}x{layout[1]} px, not the {canvas[0]}x{canvas[1]} "
                     f"canvas: reveal scales the window, not the canvas")
    if slide["bottom"] > canvas[1] + 1:
        found.append(f"{where}: content {slide['bottom']:.0f} px tall on a {canvas[1]} px slide")
    if slide["right"] > canvas[0] + 1:
        found.append(f"{where}: content {slide['right']:.0f} px wide on a {canvas[0]} px slide")
    found += [f"{where}: scrolls sideways: {w!r}" for w in slide["wide"]]
    found += [f"{where}: a printed line wraps: {w!r}" for w in slide["wrapped"]]
    for kind, floor in READABLE_PX.items():
        small = slide["smallest"].get(kind)
        if small and small["px"] < floor - 0.1:
            found.append(f"{where}: {kind} at {small['px']:.0f} px < {floor} px: {small['text']!r}")
    match = REPR.search(slide["text"])
    if match:
        found.append(f"{where}: a widget shown as its repr: {match.group(0)!r}")
    return found
