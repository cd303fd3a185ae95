"""DuckDB schema of the catalog.

There are deliberately no PRIMARY KEY / UNIQUE constraints: DuckDB's ART indexes slow bulk
appends and make UPDATEs of indexed rows (tags) fail with over-eager constraint checks.
Uniqueness is guaranteed by the single writer (:class:`~visionlens_jlab.catalog.Catalog`),
which allocates ids under its write lock.

These are the store's tables of schema 1, as every release before numbered migrations
created them; they never change here: a change is a numbered step (:mod:`.migrations`).
"""

DDL = [
    """
    CREATE TABLE IF NOT EXISTS meta (key VARCHAR, value VARCHAR)
    """,
    """
    CREATE TABLE IF NOT EXISTS datasets (
        dataset_id INTEGER NOT NULL,
        name VARCHAR NOT NULL,
        format VARCHAR NOT NULL,
        source VARCHAR NOT NULL,       -- the annotation path the user gave
        media_root VARCHAR NOT NULL,   -- directory or gs://bucket/prefix that images resolve against
        created_at TIMESTAMP NOT NULL,
        num_samples BIGINT NOT NULL,
        num_annotations BIGINT NOT NULL,
        report JSON NOT NULL           -- the ingest validation report
    )
    """,
    """
    CREATE TABLE IF NOT EXISTS categories (
        dataset_id INTEGER NOT NULL,
        category_id INTEGER NOT NULL,  -- position in the dataset's class list (0-based)
        name VARCHAR NOT NULL,
        supercategory VARCHAR,
        source_category_id BIGINT      -- the id in the source file (COCO category id), if any
    )
    """,
    """
    CREATE TABLE IF NOT EXISTS samples (
        sample_id BIGINT NOT NULL,     -- global across datasets; also the vector-store point id
        dataset_id INTEGER NOT NULL,
        file_name VARCHAR NOT NULL,    -- as written in the annotation source
        location VARCHAR NOT NULL,     -- resolved absolute path or gs:// URI
        width INTEGER,
        height INTEGER,
        split VARCHAR,
        source_image_id VARCHAR,       -- the image id in the source file (COCO id, VOC stem...)
        tags VARCHAR[] NOT NULL,
        fields JSON                    -- extra per-image keys, kept as they were
    )
    """,
    """
    CREATE TABLE IF NOT EXISTS annotations (
        ann_id BIGINT NOT NULL,        -- global across datasets
        sample_id BIGINT NOT NULL,
        dataset_id INTEGER NOT NULL,
        source VARCHAR NOT NULL,       -- 'ground_truth' or the prediction model's name
        label VARCHAR NOT NULL,        -- class name: classes are matched by name, never by id
        x DOUBLE NOT NULL,             -- absolute pixels, top-left corner
        y DOUBLE NOT NULL,
        w DOUBLE NOT NULL,
        h DOUBLE NOT NULL,
        score DOUBLE,                  -- NULL for ground truth
        area DOUBLE,
        iscrowd BOOLEAN NOT NULL,
        difficult BOOLEAN NOT NULL,
        source_ann_id VARCHAR,         -- the annotation id in the source file
        segmentation JSON,             -- polygons or RLE, as in the source
        attributes JSON                -- truncated, occluded, pose, extra keys
    )
    """,
    """
    CREATE TABLE IF NOT EXISTS facet_keys (
        -- what facets exist for a dataset (see catalog/sql/facet_keys.py): written by the writer
        -- with the rows they come from, so facet requests need not scan the whole dataset
        dataset_id INTEGER NOT NULL,
        field_keys VARCHAR[] NOT NULL,      -- top-level keys of samples.fields, sorted
        attribute_keys VARCHAR[] NOT NULL,  -- top-level keys of annotations.attributes, sorted
        sources VARCHAR[] NOT NULL          -- annotations.source values, sorted
    )
    """,
    """
    CREATE TABLE IF NOT EXISTS facet_parts (
        -- pre-aggregated facets of a dataset's unfiltered view (catalog/sql/facet_parts.py),
        -- kept exact by the writer in the transaction that changes their rows
        dataset_id INTEGER NOT NULL,
        part VARCHAR NOT NULL,     -- 'samples', 'tags', 'attributes' or 'source:<name>'
        entries JSON NOT NULL      -- the part's facets, as the facets request answers them
    )
    """,
    """
    CREATE TABLE IF NOT EXISTS models (
        dataset_id INTEGER NOT NULL,
        name VARCHAR NOT NULL,
        format VARCHAR NOT NULL,
        source VARCHAR NOT NULL,
        created_at TIMESTAMP NOT NULL,
        num_predictions BIGINT NOT NULL,
        report JSON NOT NULL
    )
    """,
]

GROUND_TRUTH = "ground_truth"
"""The ``annotations.source`` value of ground-truth boxes; any other value is a model name."""
