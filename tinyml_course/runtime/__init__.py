"""The runtime layer: float kernels (``kernels``) and their plain-loop references (``naive``);
int8 arithmetic (``qscheme``, ``fixedpoint``), kernels (``int8_kernels``) and backend
(``int8_backend``); backends with one dispatch per op kind (``backend``); the batched forward pass
(``batched``); the arena executor, in-place depthwise convolution and patch-based execution."""
