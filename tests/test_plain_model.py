"""tinyml_course.homework.plain_model: a model as plain data and back, checked before it is measured."""
import dataclasses

import numpy as np
import pytest

from tinyml_course.compression import trained
from tinyml_course.compression.prune import channel_prune
from tinyml_course.homework import plain_model as pm


@pytest.fixture(scope="module")
def model():
    return trained.load_trained()


def test_network_round_trips_through_plain_data(model):
    """Does a channel-pruned network (no spec) come back op for op from its plain data, and is
    an op whose shapes do not follow from its input refused, by name?"""
    network, weights = model
    pruned, _ = channel_prune(network, weights, 0.5)
    assert pruned.spec is None and pruned.params < network.params
    rebuilt = pm.network_from_plain(pm.network_to_plain(pruned), network.input_shape)
    assert rebuilt.ops == pruned.ops and rebuilt.name == pruned.name
    ops = list(pruned.ops)
    i = next(i for i, op in enumerate(ops) if op.kind == "dwconv")
    ops[i] = dataclasses.replace(ops[i], out_shape=(ops[i].out_shape[0], 1, 1))  # says 1x1
    with pytest.raises(pm.ModelDataError, match=f"op '{ops[i].name}': output"):
        pm.network_from_plain(pm.network_to_plain(network.with_ops(ops)), network.input_shape)
    with pytest.raises(ValueError, match="the input is"):
        pm.network_from_plain(pm.network_to_plain(network), (3, 16, 16))


def test_a_model_round_trips_with_its_weights_and_bits(model):
    """Does model_from_plain rebuild the network, float32 weights of the ops' shapes and
    {op: bits} from model_to_plain, also from nested lists (the wire's form)?"""
    network, weights = model
    record = pm.model_to_plain(network, weights, 8)
    as_lists = {**record, "weights": {k: [w.tolist(), b.tolist()]
                                      for k, (w, b) in record["weights"].items()}}
    for sent in (record, as_lists):
        rebuilt = pm.model_from_plain(sent, network)
        assert rebuilt.network.ops == network.ops and set(rebuilt.bits.values()) == {8}
        for name, (w, b) in weights.items():
            assert rebuilt.weights[name][0].dtype == np.float32
            assert np.array_equal(rebuilt.weights[name][0], w)
            assert np.array_equal(rebuilt.weights[name][1], b)


def _with(record, name, weight=None, bias=None):
    w, b = record["weights"][name]
    return {**record, "weights": {**record["weights"],
                                  name: [w if weight is None else weight, b if bias is None else bias]}}


@pytest.mark.parametrize("forge, reason", [
    (lambda r, net: {**r, "bits": {"stem": 4}}, "bits must be an int or"),
    (lambda r, net: {**r, "bits": 9}, "each one of 2, 3, 4, 5, 6, 7, 8, 32"),
    (lambda r, net: _with(r, "stem", weight=np.zeros((8, 1, 3, 4), np.float32)), "'stem': its weight"),
    (lambda r, net: _with(r, "stem", weight=[[0.0]] * 8), "'stem': its weight"),
    (lambda r, net: _with(r, "classifier", bias=np.full(10, np.nan, np.float32)), "not finite"),
    (lambda r, net: _with(r, "stem", weight=np.zeros((8, 1, 3, 3), bool)), "'stem': its weight"),
    (lambda r, net: {**r, "weights": {k: v for k, v in r["weights"].items() if k != "stem"}},
     "exactly the ops with weights"),
    (lambda r, net: {**r, "network": {**r["network"], "ops": r["network"]["ops"] * 40}},
     "1 to 64 ops"),
    (lambda r, net: {**r, "network": {**r["network"], "ops": [
        ["stem", "conv", ["input"], [1, 8, 8], [4097, 4, 4], 3, 2, 1, None, None]]}}, "1..4096"),
    (lambda r, net: {k: v for k, v in r.items() if k != "bits"}, "'network', 'weights' and 'bits'"),
])
def test_forged_records_are_refused_before_they_are_measured(model, forge, reason):
    """Are wrong bits, weights of another shape or dtype, NaNs, missing layers, too many ops or
    a huge shape refused with the reason, as ModelDataError (a ValueError)?"""
    network, weights = model
    record = pm.model_to_plain(network, weights, 32)
    with pytest.raises(pm.ModelDataError, match=reason):
        pm.model_from_plain(forge(record, network), network)


def test_a_huge_network_is_refused_before_its_weights_are_read(model):
    """Is a network whose shapes say 16 million weights (4096 channels) refused by its shapes
    alone (its weights are never converted)?"""
    network, weights = model
    wide = [["stem", "conv", ["input"], list(network.input_shape), [4096, 4, 4], 3, 4, 1,
             "relu", None],
            ["wide", "pwconv", ["stem"], [4096, 4, 4], [4096, 4, 4], 1, 1, 0, None, None],
            ["pool", "pool", ["wide"], [4096, 4, 4], [4096, 1, 1], 1, 1, 0, None, None],
            ["classifier", "linear", ["pool"], [4096, 1, 1], [10, 1, 1], 1, 1, 0, None, None]]
    record = {"network": {"name": "wide", "input_shape": list(network.input_shape), "ops": wide},
              "weights": {op[0]: ["not read", None] for op in wide}, "bits": 8}
    with pytest.raises(pm.ModelDataError, match="'stem': 4096 channels"):
        pm.model_from_plain(record, network)
