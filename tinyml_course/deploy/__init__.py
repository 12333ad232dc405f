"""Deploy a network to an emulated Cortex-M: C code generation, cross-compiling (ziglang),
linker-measured memory (pyelftools), emulation with instruction counts (unicorn).

``deploy.deploy`` does it all; ``deploy.int8_model`` makes the int8 model to deploy.
"""
