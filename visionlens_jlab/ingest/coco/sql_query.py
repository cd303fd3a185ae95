"""The DuckDB query behind :mod:`.sql_source`: which records it takes, and as what.

A record is taken by the SQL only if it has no explicit ``null`` on a standard key, no key
twice, and every value has the JSON shape the Python fast path accepts
(:class:`~.annotations.AnnotationReader`); everything else comes back as its exact JSON text
(``raw``) for the Python policies. A record taken with keys beyond the standard ones comes
back with its text too (``extra``): the caller builds its ``attributes`` as the fast path does
(DuckDB's JSON editing functions hold tens of MB per batch for this).
"""

from __future__ import annotations

# JSON text shapes the fast path accepts (DuckDB hands values over minified): anything else
# is a slow row, so a shape missing here costs time, never correctness.
NUMBER_RE = r"-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?"  # a JSON number
INT_RE = r"-?[0-9]{1,18}"  # an integer that fits int64
POLYGON_RE = (
    rf"\[{NUMBER_RE},{NUMBER_RE}(,{NUMBER_RE},{NUMBER_RE}){{2,}}\]"  # at least 3 (x, y) pairs
)
RLE_COUNTS_RE = r'("[^"\\]*"|\[[0-9,]*\])'
RLE_SIZE_RE = r"\[[0-9]+,[0-9]+\]"
SHAPES = {
    "int": INT_RE,
    "count": r"[0-9]{1,9}",  # fits int32
    "keypoints": rf"\[{NUMBER_RE}(,{NUMBER_RE})*\]",
    "bbox": rf"\[{NUMBER_RE},{NUMBER_RE},{NUMBER_RE},{NUMBER_RE}\]",
    "number": NUMBER_RE,
    "polygons": rf"\[{POLYGON_RE}(,{POLYGON_RE})*\]",
    "rle": rf'\{{"size":{RLE_SIZE_RE},"counts":{RLE_COUNTS_RE}\}}'
    rf'|\{{"counts":{RLE_COUNTS_RE},"size":{RLE_SIZE_RE}\}}',
}

# Each element is read as its JSON text, once parsed into the standard keys (an explicit null
# and a missing key both give NULL) and once for its keys. A record whose keys outnumber its
# non-null standard values is taken only if every key beyond them is a non-standard one
# (no explicit null on a standard key) and no key repeats (the SQL reads a repeated key's
# first value, Python its last). A slow record's text is its exact content.
STANDARD_KEYS = (
    '{"id": "JSON", "image_id": "JSON", "category_id": "JSON", "bbox": "JSON", "area": "JSON", '
    '"iscrowd": "JSON", "segmentation": "JSON", "attributes": "JSON", "score": "JSON", '
    '"keypoints": "JSON", "num_keypoints": "JSON"}'
)


def standard_key_list(predictions: bool) -> list[str]:
    """The keys the fast path reads (a ground-truth ``score`` is not one: it is kept as an
    attribute)."""
    keys = ["id", "image_id", "category_id", "bbox", "area", "iscrowd", "segmentation"]
    keys += ["keypoints", "num_keypoints"]
    return keys + (["attributes", "score"] if predictions else ["attributes"])


QUERY = """
WITH t AS (
    SELECT json AS raw, json_keys(json) AS keys, json_transform(json, $standard) AS s
    FROM read_json_objects($path, format = 'array')
), c AS (
    SELECT raw, keys, len(keys) AS n_keys,
        s.id::VARCHAR AS id, s.image_id::VARCHAR AS image_id,
        s.category_id::VARCHAR AS category_id, s.bbox::VARCHAR AS bbox,
        s.area::VARCHAR AS area, s.iscrowd::VARCHAR AS iscrowd,
        s.segmentation::VARCHAR AS segmentation, s.attributes::VARCHAR AS attributes,
        s.score::VARCHAR AS score, s.keypoints::VARCHAR AS keypoints,
        s.num_keypoints::VARCHAR AS num_keypoints
    FROM t
), n AS (
    SELECT *,
        (id IS NOT NULL)::INT + (image_id IS NOT NULL)::INT
            + (category_id IS NOT NULL)::INT + (bbox IS NOT NULL)::INT
            + (area IS NOT NULL)::INT + (iscrowd IS NOT NULL)::INT
            + (segmentation IS NOT NULL)::INT + (attributes IS NOT NULL)::INT
            + (score IS NOT NULL)::INT + (keypoints IS NOT NULL)::INT
            + (num_keypoints IS NOT NULL)::INT AS n_standard
    FROM c
), k AS (
    SELECT *,
        n_keys > n_standard AS extra,
        (n_keys = n_standard
         OR CASE WHEN n_keys > n_standard THEN
                list_unique(keys) = n_keys
                AND n_keys - n_standard
                    = len(list_filter(keys, lambda x: NOT list_contains($standard_keys, x)))
            END)
        -- predictions: the id and iscrowd may be missing, a score is required
        AND (regexp_full_match(id, $int) OR ($predictions AND id IS NULL))
        AND regexp_full_match(image_id, $int) AND regexp_full_match(category_id, $int)
        AND (iscrowd IN ('0', '1') OR ($predictions AND iscrowd IS NULL))
        AND CASE WHEN $predictions THEN regexp_full_match(score, $number)
                 ELSE score IS NULL END
        AND regexp_full_match(bbox, $bbox)
        AND (area IS NULL OR regexp_full_match(area, $number))
        AND (segmentation IS NULL OR segmentation = '[]'
             OR regexp_full_match(segmentation, $polygons)
             OR regexp_full_match(segmentation, $rle))
        AND (attributes IS NULL OR attributes LIKE '{%')
        -- keypoints: a flat list of (x, y, v) numbers; a count only beside them (an empty
        -- list or a lone count is no keypoints, as in the Python path)
        AND (keypoints IS NULL OR keypoints = '[]'
             OR (regexp_full_match(keypoints, $keypoints)
                 AND len(string_split(keypoints, ',')) % 3 = 0
                 AND (num_keypoints IS NULL OR regexp_full_match(num_keypoints, $count))))
        AS typed,
        TRY_CAST(string_split(bbox[2:-2], ',') AS DOUBLE[]) AS b
    FROM n
), v AS (
    SELECT *, COALESCE(typed AND b[3] > 0 AND b[4] > 0, FALSE) AS ok FROM k
)
SELECT
    ok,
    ok AND extra AS extra,
    TRY_CAST(image_id AS BIGINT) AS iid,
    TRY_CAST(category_id AS BIGINT) AS cid,
    TRY_CAST(id AS BIGINT) AS aid,
    b[1] AS x, b[2] AS y, b[3] AS w, b[4] AS h,
    TRY_CAST(area AS DOUBLE) AS area,
    TRY_CAST(score AS DOUBLE) AS score,
    COALESCE(iscrowd = '1', FALSE) AS iscrowd,
    CASE WHEN segmentation = '[]' THEN NULL ELSE segmentation END AS segmentation,
    CASE WHEN attributes = '{}' THEN NULL ELSE attributes END AS attributes,
    CASE WHEN ok AND keypoints <> '[]' THEN TRY_CAST(string_split(keypoints[2:-2], ',') AS DOUBLE[])
    END AS keypoints,
    CASE WHEN ok AND keypoints <> '[]' THEN TRY_CAST(num_keypoints AS INTEGER)
    END AS num_keypoints,
    CASE WHEN ok AND NOT extra THEN NULL ELSE raw END AS raw
FROM v
"""
