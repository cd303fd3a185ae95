/**
 * Every condition of the filter JSON as short words ("class is car",
 * "score ≥ 0.5", "match is FP (model yolo)"), never as raw JSON: the chips
 * of the filter panel read them. Texts hold dataset values: render them with
 * textContent.
 */
import {
  GROUND_TRUTH,
  IBoxCountFilter,
  IClassificationFilter,
  ICondition,
  IFilter,
  ILabelFilter,
  IRange,
  ISemanticRegionsFilter
} from '../../model/tokens';

/** Names of fields as people say them (others are shown as they are). */
const FIELD_NAMES: { [name: string]: string } = {
  file_name: 'file name',
  mask_area: 'mask area',
  num_keypoints: 'labelled keypoints',
  visible_keypoints: 'visible keypoints'
};

/** Names of the evaluation statuses and error types (`labels.eval`). */
const EVAL_WORDS: { [value: string]: string } = {
  tp: 'TP',
  fp: 'FP',
  fn: 'FN',
  ignored: 'ignored',
  duplicate: 'duplicate',
  class_confusion: 'class confusion',
  localization: 'localization',
  background: 'background'
};

function fieldName(name: string): string {
  return Object.prototype.hasOwnProperty.call(FIELD_NAMES, name)
    ? FIELD_NAMES[name]
    : name;
}

/** At most two decimals, without trailing zeros (0.5, not 0.50). */
function fmt(n: number): string {
  return String(Number(n.toFixed(2)));
}

/** "a", "a or b", "a, b or c". */
export function oneOf(values: readonly unknown[], word = 'or'): string {
  const texts = values.map(String);
  return texts.length < 2
    ? texts.join('')
    : `${texts.slice(0, -1).join(', ')} ${word} ${texts[texts.length - 1]}`;
}

/** A range as "≥ 2", "≤ 3" or "2–3". */
export function rangeText(r: IRange): string {
  if (r.min !== undefined && r.max !== undefined) {
    return `${fmt(r.min)}–${fmt(r.max)}`;
  }
  return r.min !== undefined ? `≥ ${fmt(r.min)}` : `≤ ${fmt(r.max as number)}`;
}

/** The parts of one field condition: "split is val", "width ≥ 100"... */
export function conditionTexts(name: string, c: ICondition): string[] {
  const field = fieldName(name);
  const out: string[] = [];
  if (c.in) {
    out.push(`${field} is ${oneOf(c.in)}`);
  }
  if (c.min !== undefined || c.max !== undefined) {
    out.push(`${field} ${rangeText(c)}`);
  }
  if (c.contains !== undefined) {
    out.push(`${field} contains “${c.contains}”`);
  }
  if (c.eq !== undefined) {
    out.push(`${field} is ${String(c.eq)}`);
  }
  if (c.is_null !== undefined) {
    out.push(`${field} ${c.is_null ? 'is empty' : 'is set'}`);
  }
  return out;
}

/** Whose labels a condition reads: " (ground truth)", " (model yolo)". */
export function sourceText(source: unknown): string {
  if (source === undefined || source === null) {
    return '';
  }
  return source === GROUND_TRUTH ? ' (ground truth)' : ` (model ${source})`;
}

function words(values: unknown): string {
  return oneOf(
    (Array.isArray(values) ? values : [values]).map(v =>
      Object.prototype.hasOwnProperty.call(EVAL_WORDS, String(v))
        ? EVAL_WORDS[String(v)]
        : String(v)
    )
  );
}

/** The evaluation condition of a label entry (`labels.eval`). */
function evalTexts(value: unknown): string[] {
  const e = (value ?? {}) as { [key: string]: unknown };
  const out: string[] = [];
  if (e.status !== undefined) {
    out.push(`match is ${words(e.status)}`);
  }
  if (e.error !== undefined) {
    out.push(`error is ${words(e.error)}`);
  }
  if (e.confused_with !== undefined) {
    out.push(`confused with ${words(e.confused_with)}`);
  }
  if (e.confused !== undefined) {
    out.push(e.confused ? 'a class confusion' : 'not a class confusion');
  }
  if (e.tide !== undefined) {
    out.push(`TIDE error is ${words(e.tide)}`);
  }
  if (e.iou !== undefined && e.iou !== null) {
    out.push(`IoU ${rangeText(e.iou as IRange)}`);
  }
  if (e.model !== undefined && e.key === undefined) {
    out.push(`latest evaluation of ${String(e.model)}`);
  }
  return out.length ? out : ['evaluated'];
}

/** The measured object attributes of a label entry (`labels.measured`). */
function measuredTexts(value: unknown): string[] {
  return Object.entries((value ?? {}) as { [key: string]: unknown }).flatMap(
    ([name, cond]) =>
      conditionTexts(
        name,
        Array.isArray(cond)
          ? { in: cond.map(String) }
          : typeof cond === 'object' && cond !== null
            ? (cond as ICondition)
            : { eq: cond as string | number | boolean }
      )
  );
}

/** Words of the label-entry keys the server registers besides the box's own. */
const LABEL_EXTRAS: { [key: string]: (value: unknown) => string[] } = {
  eval: evalTexts,
  measured: measuredTexts
};

/** One label entry (`labels[i]`): "class is car; score ≥ 0.5 (model yolo)". */
export function labelText(l: ILabelFilter): string {
  const parts: string[] = [];
  if (l.classes) {
    parts.push(`class is ${oneOf(l.classes)}`);
  }
  if (l.score) {
    parts.push(`score ${rangeText(l.score)}`);
  }
  if (l.type !== undefined) {
    parts.push(`with ${oneOf(Array.isArray(l.type) ? l.type : [l.type])}`);
  }
  for (const [name, c] of Object.entries(l.where ?? {})) {
    parts.push(...conditionTexts(name, c));
  }
  for (const [k, v] of Object.entries(l)) {
    if (!['source', 'classes', 'score', 'where', 'type'].includes(k)) {
      const extra = Object.prototype.hasOwnProperty.call(LABEL_EXTRAS, k)
        ? LABEL_EXTRAS[k](v)
        : [`${k} condition`];
      parts.push(...extra);
    }
  }
  return (
    (parts.length ? parts : ['has a label']).join('; ') + sourceText(l.source)
  );
}

/** One boxes-per-sample condition: "boxes ≥ 2 (ground truth)". */
export function boxCountText(bc: IBoxCountFilter): string {
  const what = bc.classes ? `${oneOf(bc.classes)} boxes` : 'boxes';
  return `${what} ${rangeText(bc)}${sourceText(bc.source)}`;
}

/**
 * The regions' condition: "flagged region of class road, predicted as
 * sidewalk, score ≤ 0.3 (model net)".
 */
export function regionsText(c: ISemanticRegionsFilter): string {
  const parts = [
    c.flagged === false
      ? 'unflagged region'
      : c.flagged
        ? 'flagged region'
        : 'region'
  ];
  if (c.class) {
    parts.push(`of class ${oneOf(c.class)}`);
  }
  if (c.predicted) {
    parts.push(`predicted as ${oneOf(c.predicted)}`);
  }
  if (c.score) {
    parts.push(`score ${rangeText(c.score)}`);
  }
  return parts.join(', ') + sourceText(c.model);
}

/** One image-level label condition: "image label is cat (model clf)". */
export function classificationText(c: IClassificationFilter): string {
  const parts: string[] = [];
  if (c.classes) {
    parts.push(`image label is ${oneOf(c.classes)}`);
  }
  if (c.score) {
    parts.push(`image label score ${rangeText(c.score)}`);
  }
  if (c.differs_from_ground_truth !== undefined) {
    parts.push(
      c.differs_from_ground_truth
        ? 'image label differs from ground truth'
        : 'image label agrees with ground truth'
    );
  }
  return (
    (parts.length ? parts : ['has image label']).join('; ') +
    sourceText(c.source)
  );
}

/** The tag conditions: "tagged a or b", "tagged a and b", "not tagged a or b". */
export function tagTexts(tags: IFilter['tags']): { [k: string]: string } {
  const out: { [k: string]: string } = {};
  if (tags?.any?.length) {
    out.any = `tagged ${oneOf(tags.any)}`;
  }
  if (tags?.all?.length) {
    out.all = `tagged ${oneOf(tags.all, 'and')}`;
  }
  if (tags?.none?.length) {
    out.none = `not tagged ${oneOf(tags.none)}`;
  }
  return out;
}

/** The chosen samples (`ids`): "2 chosen samples". */
export function idsText(ids: number[]): string {
  return `${ids.length} chosen sample${ids.length === 1 ? '' : 's'}`;
}
