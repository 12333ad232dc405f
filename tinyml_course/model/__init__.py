"""The model layer: ops and their shape/MAC/param rules, the network builder and its JSON spec,
the zoo (MobileNetV2, the MCUNet networks), the device catalogue and units. Imports nothing above it."""
