/**
 * The kinds and types of labels: the kind picks the SVG renderer of a label
 * (`src/ui/labels/registry.ts`); the label types (boxes, masks, keypoints,
 * classifications) are what a view shows or hides with its toggles; and the
 * keypoint classes (point names and skeleton) of the current dataset.
 *
 * The kinds are declared once, in `visionlens_jlab/records/label_kinds.json`,
 * and reach the lab as `LABEL_KINDS` (`src/api/labelKinds.ts`, generated from
 * it): the constants below are read from those declarations.
 */
import { ISignal, Signal } from '@lumino/signaling';

import {
  IAnnotation,
  IKeypointClass,
  IouType,
  IVisionLensModel,
  LABEL_KINDS,
  LabelType,
  ObjectLabelType
} from './tokens';

/** The kind of the labels the server sends today. */
export const BOX_KIND = 'box';

/**
 * The kind of a label. The server's labels carry no kind field: every object
 * is a box (`bbox`) that may also carry a mask and keypoints, which the
 * canvas renderers draw by label type.
 */
export function labelKind(label: IAnnotation): string {
  return BOX_KIND;
}

/**
 * The `labels.type` words of a filter: the kinds an object may have besides
 * its box, in declaration order.
 */
export const OBJECT_LABEL_TYPES: readonly ObjectLabelType[] =
  LABEL_KINDS.flatMap(k => (k.filterWord ? [k.filterWord] : []));

/** Whether `word` is a `labels.type` word. */
export function isObjectLabelType(word: string): word is ObjectLabelType {
  return (OBJECT_LABEL_TYPES as readonly string[]).includes(word);
}

export type { LabelType } from './tokens';

/** Every label type, in toolbar order, with its short title. */
export const LABEL_TYPES: readonly { type: LabelType; title: string }[] =
  LABEL_KINDS.map(k => ({ type: k.labelType, title: k.title }));

/**
 * How evaluation compares objects (its iou types, in the evaluate form's
 * order) and the label type each needs a model to have.
 */
export const EVALUATED_KINDS: readonly {
  iouType: IouType;
  labelType: LabelType;
}[] = LABEL_KINDS.flatMap(k =>
  k.iouType ? [{ iouType: k.iouType, labelType: k.labelType }] : []
);

/** Every label type (what a view shows unless told otherwise). */
export const ALL_LABEL_TYPES: ReadonlySet<LabelType> = new Set(
  LABEL_TYPES.map(t => t.type)
);

/**
 * Which label types are shown (every one unless turned off), whether only
 * the labels that match the filter's label conditions are drawn, and whether
 * boxes are coloured by their evaluation status (TP/FP/FN) instead of class.
 */
export type LabelTypeSettings = Partial<
  Record<LabelType | 'onlyMatching' | 'evalColours' | 'names', boolean>
>;

/** The label types a view shows; `changed` after each change. */
export class LabelTypeToggles {
  /** Whether labels of `type` are drawn. */
  isShown(type: LabelType): boolean {
    return !this._hidden.has(type);
  }

  /** The shown types (what the renderers read). */
  get shown(): ReadonlySet<LabelType> {
    return new Set([...ALL_LABEL_TYPES].filter(t => !this._hidden.has(t)));
  }

  /** Show or hide one type. */
  setShown(type: LabelType, shown: boolean): void {
    this.apply({ [type]: shown });
  }

  /**
   * Whether only the labels that match the filter are drawn (FiftyOne's way:
   * filter by "cat" and the tiles show the cats). Labels of a page without
   * label conditions all match.
   */
  get onlyMatching(): boolean {
    return this._onlyMatching;
  }

  /** Draw only the matching labels, or every label. */
  setOnlyMatching(only: boolean): void {
    this.apply({ onlyMatching: only });
  }

  /**
   * Whether boxes carry their class (and a prediction its score) as text; on
   * by default. The grid draws them on tiles large enough to read them.
   */
  get names(): boolean {
    return this._names;
  }

  /** Write class names on the boxes, or not. */
  setNames(on: boolean): void {
    this.apply({ names: on });
  }

  /**
   * Whether boxes are coloured by their status in the evaluated model's
   * latest evaluation (TP, FP, FN) instead of by class; off by default.
   */
  get evalColours(): boolean {
    return this._evalColours;
  }

  /** Colour boxes by evaluation status, or by class. */
  setEvalColours(on: boolean): void {
    this.apply({ evalColours: on });
  }

  /**
   * What the TP/FP/FN legend names: the evaluation whose statuses the view
   * shows (`evaluationLabel`), or null while none is known.
   */
  get evaluationShown(): string | null {
    return this._evaluationShown;
  }

  /** The view's labels now carry this evaluation's statuses. */
  setEvaluationShown(name: string | null): void {
    if (name !== this._evaluationShown) {
      this._evaluationShown = name;
      this._changed.emit();
    }
  }

  /** Apply settings (a type not named keeps its state). */
  apply(settings: LabelTypeSettings): void {
    let changed = false;
    const only = settings.onlyMatching;
    if (typeof only === 'boolean' && only !== this._onlyMatching) {
      this._onlyMatching = only;
      changed = true;
    }
    const names = settings.names;
    if (typeof names === 'boolean' && names !== this._names) {
      this._names = names;
      changed = true;
    }
    const colours = settings.evalColours;
    if (typeof colours === 'boolean' && colours !== this._evalColours) {
      this._evalColours = colours;
      changed = true;
    }
    for (const { type } of LABEL_TYPES) {
      const value = settings[type];
      if (typeof value === 'boolean' && value !== this.isShown(type)) {
        if (value) {
          this._hidden.delete(type);
        } else {
          this._hidden.add(type);
        }
        changed = true;
      }
    }
    if (changed) {
      this._changed.emit();
    }
  }

  get changed(): ISignal<this, void> {
    return this._changed;
  }

  private _hidden = new Set<LabelType>();
  private _onlyMatching = true;
  private _evalColours = false;
  private _names = true;
  private _evaluationShown: string | null = null;
  private _changed = new Signal<this, void>(this);
}

/** The keypoint classes of a dataset, by class name. */
export type KeypointClasses = ReadonlyMap<string, IKeypointClass>;

const NO_KEYPOINT_CLASSES: KeypointClasses = new Map();

/** The keypoint classes of the last dataset asked for, per model. */
const loaded = new WeakMap<
  IVisionLensModel,
  { key: string; classes: Promise<KeypointClasses> }
>();

/**
 * The keypoint classes (point names, skeleton) of `dataset`, from its
 * details, read again when the dataset was written anew (its creation time
 * changed); none when they cannot be read (keypoints then draw unjoined).
 */
export function keypointClasses(
  model: IVisionLensModel,
  dataset: string
): Promise<KeypointClasses> {
  const created = model.datasets.find(d => d.name === dataset)?.created_at;
  const key = `${dataset}\u0000${created ?? ''}`;
  const held = loaded.get(model);
  if (held && held.key === key) {
    return held.classes;
  }
  const classes = model.client
    .getDataset(dataset)
    .then(detail => {
      const out = new Map<string, IKeypointClass>();
      for (const [label, value] of Object.entries(
        detail.category_keypoints ?? {}
      )) {
        out.set(label, value);
      }
      return out as KeypointClasses;
    })
    .catch(() => NO_KEYPOINT_CLASSES);
  loaded.set(model, { key, classes });
  return classes;
}
