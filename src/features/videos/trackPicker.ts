/**
 * The tracks view's "Tracks of" picker: the ground truth's tracks or one
 * prediction set's (a tracker's). Its choices are the dataset's prediction
 * sets as the model lists them (`currentInfo.models`, as the grid's source
 * toggles and the patches view's picker); the choice belongs to one dataset
 * (another dataset shows its ground truth) and is dropped when its
 * prediction set is no longer listed.
 */
import { ReadonlyPartialJSONObject } from '@lumino/coreutils';

import { h } from '../../base/dom';
import { visibleText } from '../../base/dataText';

/** The option value of the ground truth (a model's is its name, never empty). */
export const GROUND_TRUTH_TRACKS = '';

/** What the tracks view shows: the tracks of `model` (null: the ground truth's) in `dataset`. */
export interface ITrackChoice {
  dataset: string;
  model: string | null;
}

/** The picker's options, `[value, text]`: the ground truth, then each prediction set. */
export function trackSourceOptions(
  models: readonly string[]
): [value: string, text: string][] {
  return [
    [GROUND_TRUTH_TRACKS, 'Ground truth'],
    ...models.map((m): [string, string] => [m, `Predictions: ${m}`])
  ];
}

/**
 * The prediction sets the picker offers: those of `models` with tracks by
 * `tracks` (each set's count of tracks; a detector's boxes have none), all
 * of them while the counts are not read (null).
 */
export function trackedModels(
  models: readonly string[],
  tracks: ReadonlyMap<string, number> | null
): string[] {
  return tracks === null
    ? [...models]
    : models.filter(m => (tracks.get(m) ?? 0) > 0);
}

/**
 * The model whose tracks `dataset` shows under `choice`: none (the ground
 * truth) for a choice of another dataset, and for a prediction set `models`
 * no longer lists; `models` null (the list not read yet) keeps the choice.
 */
export function chosenTrackModel(
  choice: ITrackChoice | null,
  dataset: string | null,
  models: readonly string[] | null
): string | null {
  if (!choice || choice.dataset !== dataset || choice.model === null) {
    return null;
  }
  return models === null || models.includes(choice.model) ? choice.model : null;
}

/**
 * The choice a command's arguments name: `model` a prediction set's name (or
 * null: the ground truth) of `dataset` (absent: `current`); null when they
 * name none (no `model`, or no dataset at all).
 */
export function trackChoiceOf(
  args: ReadonlyPartialJSONObject,
  current: string | null
): ITrackChoice | null {
  const model = args.model;
  const dataset = typeof args.dataset === 'string' ? args.dataset : current;
  if (dataset === null || !(model === null || typeof model === 'string')) {
    return null;
  }
  return { dataset, model: model === GROUND_TRUTH_TRACKS ? null : model };
}

/** The `<select>` of the tracks view's bar, and the choice it holds. */
export class TrackSourcePicker {
  /** `onChange`: the user picked another source (the view then reads its tracks). */
  constructor(private readonly _onChange: () => void) {
    this.select.addEventListener('change', () => {
      const dataset = this._dataset;
      if (dataset === null) {
        return;
      }
      const value = this.select.value;
      this._choice = {
        dataset,
        model: value === GROUND_TRUTH_TRACKS ? null : value
      };
      this._onChange();
    });
  }

  readonly select = h('select', {
    className: 'jp-VisionLens-trackSource jp-mod-styled',
    attrs: {
      'aria-label': 'Whose tracks: the ground truth or a prediction set'
    }
  });

  /** The label holding the select (the bar's item). */
  readonly node = h(
    'label',
    { className: 'jp-VisionLens-trackSourceLabel' },
    'Tracks of ',
    this.select
  );

  /** The choice as made (persisted by the view's restorer). */
  get choice(): ITrackChoice | null {
    return this._choice;
  }

  /** Pick `model`'s tracks of `dataset` (null: the ground truth's), as a restored view does. */
  choose(dataset: string, model: string | null): void {
    this._choice = { dataset, model };
  }

  /**
   * Offer `dataset`'s prediction sets (`models`, null while not read) and
   * show the source its tracks are read from, which it returns.
   */
  sync(
    dataset: string | null,
    models: readonly string[] | null
  ): string | null {
    this._dataset = dataset;
    const listed = [...(models ?? [])];
    const model = chosenTrackModel(this._choice, dataset, models);
    // a restored choice is offered while the list is still being read
    if (model !== null && !listed.includes(model)) {
      listed.push(model);
    }
    const key = listed.join('\u0000');
    if (key !== this._offered) {
      this._offered = key;
      this.select.replaceChildren(
        ...trackSourceOptions(listed).map(([value, text]) =>
          h('option', { text: visibleText(text), attrs: { value } })
        )
      );
    }
    this.select.value = model ?? GROUND_TRUTH_TRACKS;
    this.select.disabled = dataset === null;
    return model;
  }

  private _choice: ITrackChoice | null = null;
  private _dataset: string | null = null;
  private _offered: string | null = null;
}
