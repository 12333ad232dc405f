"""The compression layer: the digits data, numpy training, the shipped trained model, pruning,
quantization (linear, k-means, integer-only int8 conversion) and the compression pipeline."""
