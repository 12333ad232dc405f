"""Op kinds, their groupings and op roles (model/ops.py): are the groupings true to the rules, are
they the only place kinds are grouped, and do pruning and the supernet read roles, not names?"""

import ast
import dataclasses
from pathlib import Path

import numpy as np
import pytest

from tinyml_course.errors import SpecError
from tinyml_course.model.network import Network, Op
from tinyml_course.model.ops import OP_KINDS, OP_RULES, GroupOp, Role
from tinyml_course.model.zoo import get_network

PACKAGE = Path(__file__).resolve().parents[1] / "tinyml_course"


def test_the_weighted_group_is_the_kinds_whose_rule_has_weights():
    with_weights = {k for k, rule in OP_RULES.items() if rule.weight_shape(4, 8, 3) is not None}
    assert GroupOp.WEIGHTED == with_weights == {"conv", "dwconv", "pwconv", "linear"}
    assert GroupOp.WEIGHTLESS == set(OP_KINDS) - with_weights
    assert all(len(OP_RULES[k].weight_shape(4, 8, 1)) == 2 for k in GroupOp.MATMUL)
    assert all(OP_RULES[k].spatial != "global" for k in GroupOp.PATCH_STAGE)


@pytest.mark.parametrize("model", ["mobilenetv2", "resnet18"])
def test_channelwise_ops_keep_their_channels(model):
    """Does every op of a CHANNELWISE kind in a real network output as many channels as it reads?"""
    ops = [op for op in get_network(model) if op.kind in GroupOp.CHANNELWISE]
    assert {op.kind for op in ops} >= {"add", "pool", "dwconv" if model == "mobilenetv2" else "maxpool"}
    assert all(op.out_shape[0] == op.in_shape[0] for op in ops)


def _kind_groups(path):
    """(line, kinds) of every tuple/set/list literal that lists two or more op kinds."""
    tree = ast.parse(path.read_text())
    found = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.Tuple, ast.Set, ast.List)):
            kinds = [e.value for e in node.elts if isinstance(e, ast.Constant) and e.value in OP_KINDS]
            if len(kinds) >= 2:
                found.append((node.lineno, kinds))
    return found


def test_no_module_groups_op_kinds_by_hand():
    """Does every module read kind groupings from GroupOp instead of listing kinds itself?"""
    offenders = [f"{p.relative_to(PACKAGE)}:{line} {kinds}" for p in sorted(PACKAGE.rglob("*.py"))
                 if p.relative_to(PACKAGE).as_posix() != "model/ops.py"
                 for line, kinds in _kind_groups(p)]
    assert not offenders, offenders


# ---------------------------------------------------------------- roles, set by the builders

def test_the_builders_set_every_role_and_name_ops_after_it():
    net = get_network("mcunet-in1")
    assert all(op.role is not None for op in net)
    assert [op.role for op in net.blocks()[1]] == [Role.EXPAND, Role.DEPTHWISE, Role.PROJECT]
    assert all(op.name == (op.role if op.block is None else f"block{op.block}.{op.role}")
               for op in net)
    resnet = get_network("resnet18")
    assert {op.role for op in resnet.blocks()[2]} == {Role.CONV1, Role.CONV2, Role.SHORTCUT,
                                                     Role.RESIDUAL}


def test_an_unknown_role_is_refused_naming_the_roles():
    with pytest.raises(SpecError, match="unknown role 'squeeze'; roles are stem, expand, dw"):
        Op("x", "pwconv", ("input",), (8, 4, 4), (8, 4, 4), role="squeeze")
    assert Op("x", "pwconv", ("input",), (8, 4, 4), (8, 4, 4), role="expand").role is Role.EXPAND


def _renamed(network, weights=None):
    """The same network with every op called 'layer<i>' (and weights keyed so)."""
    new = {op.name: f"layer{i}" for i, op in enumerate(network.ops)} | {"input": "input"}
    ops = [dataclasses.replace(op, name=new[op.name], inputs=tuple(new[t] for t in op.inputs))
           for op in network.ops]
    renamed = Network(network.name, network.input_shape, ops)
    return renamed if weights is None else (renamed, {new[k]: v for k, v in weights.items()})


def test_channel_pruning_finds_a_block_by_roles_whatever_its_names(rng):
    """Is a network whose op names follow no pattern channel-pruned as the same network named so?"""
    from tinyml_course.compression.prune import channel_prune
    from tinyml_course.runtime.backend import random_weights
    net = get_network("mcunet-in1", 48)
    weights = random_weights(net, rng)
    pruned, pruned_w = channel_prune(net, weights, 0.5)
    odd, odd_weights = _renamed(net, weights)
    odd_pruned, odd_pruned_w = channel_prune(odd, odd_weights, 0.5)
    assert [op.out_shape for op in odd_pruned] == [op.out_shape for op in pruned]
    assert pruned.macs < net.macs and odd_pruned.macs == pruned.macs
    for op, odd_op in zip(pruned, odd_pruned):
        if op.name in pruned_w:
            np.testing.assert_array_equal(odd_pruned_w[odd_op.name][0], pruned_w[op.name][0])


def test_the_supernet_finds_shared_weights_by_roles_whatever_the_names():
    """Does a subnet whose ops are renamed read the same shared weights (same logits)?"""
    from tinyml_course.nas import supernet as sn
    arch = sn.smallest()
    shared = sn.init_supernet(seed=0)
    x = np.random.default_rng(0).standard_normal((2, 1, arch.resolution, arch.resolution))
    net = arch.network()
    want, _ = sn.forward_train(net, arch, shared, x.astype(np.float32))
    got, _ = sn.forward_train(_renamed(net), arch, shared, x.astype(np.float32))
    np.testing.assert_array_equal(got, want)


def test_the_graders_plain_network_keeps_roles_and_reads_old_rows():
    """Does the grader's plain network keep each op's role, and still read 10-field rows?"""
    from tinyml_course.homework.plain_model import ModelLimits, network_from_plain
    from tinyml_course.homework.plain_model import network_to_plain as network_plain
    net = get_network("mcunet-in1", 48)
    big = ModelLimits(ops=512, channels=4096, macs=2**40, weights=2**30)  # not the digits model's
    plain = network_plain(net)
    back = network_from_plain(plain, net.input_shape, big)
    assert [op.role for op in back] == [op.role for op in net]
    old = dict(plain, ops=[row[:10] for row in plain["ops"]])  # rows written before roles
    assert all(op.role is None for op in network_from_plain(old, net.input_shape, big))
