"""ipywidgets dashboards: thin layers over tinyml_course.plots; no logic a test cannot reach."""
