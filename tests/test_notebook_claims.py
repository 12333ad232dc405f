"""Numbers written in a lecture notebook's markdown equal what its cells compute (issue 20:
"no sentence contradicts its cell's output"). Read from the percent sources, computed with the
package as the cells compute them; no notebook is executed.
"""
import jupytext

from conftest import REPO
from tinyml_course.model.published_results import zoo_results
from tinyml_course.model.zoo import get_spec
from tinyml_course.nas.redistribution import compare


def markdown(notebook):
    """The markdown cells of notebooks/<notebook>.py, joined, line breaks as spaces."""
    nb = jupytext.read(REPO / "notebooks" / f"{notebook}.py")
    return " ".join(c.source.replace("\n", " ") for c in nb.cells if c.cell_type == "markdown")


def test_redistribution_sentence_states_the_overheads_the_cell_prints():
    """20's redistribution slide: the whole-network overhead before and after, as the cell's
    table prints them (+9.3%, +3.5%). Seen failing: it said 'from about 10% to about 3%'."""
    before, after = compare(get_spec("mobilenetv2"), 3)
    assert (f"falls from {before.network_overhead:.1%} to {after.network_overhead:.1%}"
            in markdown("20_patch_inference"))


def test_wake_words_sentence_spans_the_model_list():
    """50's visual wake words slide: the range of the top-1 the cell prints (87.3% to 91.8%).
    Seen failing: it said 'about 88-92%', above the lowest row."""
    top1 = [r.top1_int8 for r in zoo_results("vww")]
    assert f"reach {min(top1):.1f}-{max(top1):.1f}% under" in markdown("50_mcunet_results")
