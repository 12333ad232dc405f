"""The runtime layer: float and int8 kernels (with plain-loop references), backends, the arena
executor, in-place depthwise convolution and patch-based execution."""
