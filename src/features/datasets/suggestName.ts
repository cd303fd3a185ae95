/**
 * The name the ingest form suggests for a dataset or a model, from the path of
 * what is ingested: the nearest folder or file name that says which data it
 * is, not what kind of file it is ("gts/pascalvoc_format" under
 * "padilla-review-voc100" names "padilla-review-voc100", not "pascalvoc_format").
 */

/** Extensions dropped from a file name. */
const SOURCE_EXT = /\.(json|xml|txt|ya?ml|data|csv|parquet|pq)$/i;

/** Names that say what a file or folder holds, never which dataset or model. */
const GENERIC = new RegExp(
  '^(' +
    [
      'annotations?',
      'labels?',
      'gts?',
      'ground[-_ ]?truths?',
      'images?',
      'data',
      'datasets?',
      'train',
      'val',
      'valid',
      'validation',
      'test',
      'splits?',
      'instances(_[a-z0-9]+)?',
      '[a-z0-9]+_format',
      'voc',
      'pascal_?voc',
      'coco',
      'yolo',
      'cvat',
      'xml',
      'json',
      'predictions?',
      'preds?',
      'results?',
      'detections?',
      'outputs?',
      'exports?'
    ].join('|') +
    ')$',
  'i'
);

/** The longest name the server takes (catalog/store/catalog.py NAME_RE). */
const MAX_NAME = 128;

/** `text` as a valid dataset or model name: letters, digits, '.', '_', '-'. */
export function asName(text: string): string {
  return text
    .replace(/[^A-Za-z0-9._-]+/g, '-')
    .replace(/^[^A-Za-z0-9]+/, '')
    .slice(0, MAX_NAME);
}

/**
 * A name for what `path` holds: its nearest path part (file name without its
 * extension, then its folders upwards) that is not a generic one; the file's
 * own name when every part is generic. '' for an empty path.
 */
export function suggestName(path: string): string {
  const parts = path
    .replace(/\\/g, '/')
    .replace(/\/+$/, '')
    .split('/')
    .filter(p => p !== '');
  if (parts.length === 0) {
    return '';
  }
  parts[parts.length - 1] = parts[parts.length - 1].replace(SOURCE_EXT, '');
  for (let i = parts.length - 1; i >= 0; i--) {
    const name = asName(parts[i]);
    if (name && !GENERIC.test(name)) {
      return name;
    }
  }
  return asName(parts[parts.length - 1]);
}
