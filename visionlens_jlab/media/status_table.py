"""The ``media_status`` table of bad media, one row per sample (:mod:`.lookup` reads and
writes it). Its DDL lives apart so that the media's manifest, which every command imports
to open a catalog, does not import the lookup's sources (GCS, video, image readers).
"""

from __future__ import annotations

MEDIA_STATUS_DDL = """
CREATE TABLE IF NOT EXISTS media_status (
    dataset_id INTEGER NOT NULL,
    sample_id BIGINT NOT NULL,
    error VARCHAR NOT NULL,        -- missing | corrupt | too_large | unsupported
    detail VARCHAR,                -- the message, for the report
    checked_at TIMESTAMP NOT NULL
)
"""
"""The table of bad media: missing, corrupt, too large or unsupported images."""
