"""Count parameters (weights + biases) and MACs of the CONV_2D, DEPTHWISE_CONV_2D and
FULLY_CONNECTED layers of .tflite files, with the `tflite` PyPI package (a dev-time tool; its
output for MLCommons' int8 files is recorded in tinyml_course/model/mlperf.py, TFLITE_COUNTS).

Usage: python scripts/mlperf_tflite_counts.py FILE.tflite ...
"""
import sys, json
import tflite
from tflite.BuiltinOperator import BuiltinOperator
NAMES = {v: k for k, v in BuiltinOperator.__dict__.items() if not k.startswith("_")}
def count(path):
    m = tflite.Model.GetRootAsModel(open(path, "rb").read(), 0)
    g = m.Subgraphs(0)
    shape = lambda i: list(g.Tensors(i).ShapeAsNumpy()) if i >= 0 else []
    layers = []
    for j in range(g.OperatorsLength()):
        op = g.Operators(j)
        code = m.OperatorCodes(op.OpcodeIndex())
        name = NAMES[max(code.BuiltinCode(), code.DeprecatedBuiltinCode())]
        ins = [op.Inputs(k) for k in range(op.InputsLength())]
        out = shape(op.Outputs(0))
        row = {"op": name, "in": [int(x) for x in shape(ins[0])], "out": [int(x) for x in out]}
        if name in ("CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED"):
            w = shape(ins[1]); b = shape(ins[2]) if len(ins) > 2 else []
            nw = 1
            for d in w: nw *= int(d)
            nb = int(b[0]) if b else 0
            outn = 1
            for d in out: outn *= int(d)
            if name == "CONV_2D": macs = outn * int(w[1]) * int(w[2]) * int(w[3])
            elif name == "DEPTHWISE_CONV_2D": macs = outn * int(w[1]) * int(w[2])
            else: macs = outn * int(w[1])
            row.update(weights=nw, biases=nb, macs=macs, kernel=[int(x) for x in w])
        layers.append(row)
    return layers
for p in sys.argv[1:]:
    L = count(p)
    w = [l for l in L if "macs" in l]
    print(p, "ops", len(L), "weighted", len(w), "params", sum(l["weights"]+l["biases"] for l in w), "macs", sum(l["macs"] for l in w))
    for l in L: print("  ", l)
