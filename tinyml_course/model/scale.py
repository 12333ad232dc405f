"""The scale of the problem, as data: how many edge devices there are, how big today's AI is.

The lecture's own figures (lecture-12-tinyml-basics.txt, devices.md) and parameter counts of
well-known models, each with the paper it comes from. Counts are plain numbers (devices,
parameters), money in US dollars.
"""

from dataclasses import dataclass

# "Number of Edge Devices 2021" (lecture slide "The Market of Edge Device is Growing", devices.md)
EDGE_DEVICES_2021 = {
    "mobile phones": 15_000_000_000,
    "cars": 1_400_000_000,
    "security cameras": 770_000_000,
    "robots": 15_000_000,
}
EDGE_DEVICES_SOURCE = "lecture 12, 'The Market of Edge Device is Growing' (devices.md)"

# "Today's AI is too Big" (lecture slide)
BIG_AI = {
    "GPT-3": {"training": "355 GPU-years", "cost_usd": 4_600_000,
              "what": "training cost"},
    "AlphaGo": {"hardware": "1,920 CPUs and 280 GPUs", "cost_usd": 3_000,
                "what": "electricity bill per game"},
}
BIG_AI_SOURCE = "lecture 12, 'Today's AI is too Big'"


@dataclass(frozen=True)
class ModelSize:
    """A published model: ``params`` (count), ``year`` of the paper, ``source`` (paper, table)."""

    name: str
    year: int
    params: float
    domain: str
    source: str


# model-size growth: parameter counts as their papers give them
MODEL_SIZES = [
    ModelSize("AlexNet", 2012, 61e6, "vision", "Krizhevsky et al., NeurIPS 2012 (sec. 1: 60 million "
              "parameters; 61M as commonly counted)"),
    ModelSize("VGG-16", 2014, 138e6, "vision", "Simonyan & Zisserman, ICLR 2015, Table 2 (138M)"),
    ModelSize("ResNet-50", 2015, 25.6e6, "vision", "devices.md (about 25.6M parameters)"),
    ModelSize("MobileNetV2", 2018, 3.4e6, "vision", "Sandler et al., CVPR 2018, Table 4 (3.4M)"),
    ModelSize("BERT-large", 2018, 340e6, "language", "Devlin et al., NAACL 2019, sec. 3 (340M)"),
    ModelSize("GPT-2", 2019, 1.5e9, "language", "Radford et al., 2019, Table 2 (1542M)"),
    ModelSize("GPT-3", 2020, 175e9, "language", "Brown et al., NeurIPS 2020, Table 2.1 (175.0B)"),
]

