"""Pure plotting functions: data in, matplotlib Figure out (no widgets, no global state)."""
