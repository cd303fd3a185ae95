"""VisionLens plugins: a versioned Python API (:mod:`.api`), discovery with per-plugin
isolation (:mod:`.discovery`, :mod:`.registry`) and the worker side of plugin field jobs
(:mod:`.field_compute`). The author's guide is ``docs/plugins.md``."""
