"""The presentation layer: pure figure functions (``plots``) and thin dashboards over them (``widgets``)."""
