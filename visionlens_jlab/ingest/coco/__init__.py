"""COCO: instances JSON (ground truth) and results (predictions), streamed.

Small annotation arrays go through a Python hot loop (:mod:`.annotations`); large ones
through the JSON reader of a private, in-memory DuckDB (:mod:`.sql_source`); both apply the
same policies (:mod:`.policies`) and are checked against each other.
"""
