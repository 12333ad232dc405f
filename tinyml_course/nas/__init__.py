"""The search layer: TinyNAS-style architecture and schedule search, MCUNetV2 redistribution."""
