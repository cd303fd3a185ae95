/**
 * The video player's select of the models with a tracking evaluation: the
 * timeline marks the identity switches of the one picked (the dataset's
 * first until one is picked). Shown only where there are such models.
 */
import { h } from '../../base/dom';
import { videoTimeline } from '../../model/sources/videos';
import { IVideoTimeline, IVisionLensModel } from '../../model/tokens';

/** Picks whose identity switches the video's timeline marks. */
export class TrackerSelect {
  /** `marked` gets the timeline with the switches of the model picked. */
  constructor(
    private readonly _model: IVisionLensModel,
    private readonly _marked: (timeline: IVideoTimeline) => void
  ) {
    this.node = h('select', {
      className: 'jp-VisionLens-videoTracker jp-mod-styled',
      attrs: { 'aria-label': 'Identity switches of' }
    });
    this.node.addEventListener(
      'change',
      () => void this._pick(this.node.value)
    );
  }

  readonly node: HTMLSelectElement;

  /** The model picked for `dataset`'s videos (undefined: its first). */
  pickedFor(dataset: string): string | undefined {
    return dataset === this._dataset ? this._picked : undefined;
  }

  /** Show the models of `timeline`, a video of `dataset` (null: none). */
  render(timeline: IVideoTimeline | null, dataset: string | null): void {
    if (dataset !== this._dataset) {
      this._picked = undefined; // another dataset's models
    }
    this._timeline = timeline;
    this._dataset = dataset;
    const models = timeline?.tracking_models ?? [];
    this.node.replaceChildren(
      ...models.map(name => {
        const option = h('option', { text: `switches of ${name}` });
        option.value = name;
        return option;
      })
    );
    this.node.value = timeline?.model ?? '';
    this.node.hidden = models.length === 0;
  }

  /** Mark the identity switches of `tracker` (a model with a tracking evaluation). */
  private async _pick(tracker: string): Promise<void> {
    const known = this._timeline;
    const dataset = this._dataset;
    const id = known?.frames.find(f => f !== null);
    if (!known || !dataset || id === null || id === undefined) {
      return;
    }
    let timeline: IVideoTimeline;
    try {
      timeline = await videoTimeline(
        this._model,
        dataset,
        id,
        undefined,
        tracker
      );
    } catch {
      this.render(known, dataset); // refused (its evaluation deleted): the select says what is marked
      return;
    }
    if (known !== this._timeline) {
      return; // another video came meanwhile
    }
    this._picked = tracker;
    // the same video (frames, samples): only the tracks' switches differ
    this.render(timeline, dataset);
    this._marked(timeline);
  }

  private _timeline: IVideoTimeline | null = null;
  private _dataset: string | null = null;
  private _picked: string | undefined = undefined;
}
