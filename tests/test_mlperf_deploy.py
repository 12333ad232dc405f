"""The MLPerf Tiny reference models deployed: every schedule bit-exact on the emulated MLPerf
boards (NUCLEO-L4R5ZI, Cortex-M4; NUCLEO-H7A3ZI-Q, Cortex-M7) at the full resolution (each
deployment takes about a second), the linked arena equal to the planner's peak, and what the
deploy code refuses for them said in one line."""

import pytest

from tinyml_course.cli.main import main
from tinyml_course.errors import SpecError
from tinyml_course.memory.accounting import profile
from tinyml_course.memory.patch_plan import patch_splits
from tinyml_course.model.zoo import get_network


def test_an_fc_only_model_has_no_patch_stage_in_one_line(capsys):
    """mlperf-ad is ten linear layers: asking for a patch schedule names the model and says it has
    no patch stage (it used to say 'split before it', with nothing before the first op)."""
    net = get_network("mlperf-ad")
    assert patch_splits(net) == []
    with pytest.raises(SpecError, match="mlperf-ad has no patch stage"):
        profile(net, "patch", patches=2, split="block0")
    assert main(["deploy", "mlperf-ad", "--schedule", "patch", "--split", "block0",
                 "--patches", "2", "--no-count"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "mlperf-ad has no patch stage" in err[0]
    assert "split before it" not in err[0]
