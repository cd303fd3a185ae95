/**
 * The quality panel: for the open dataset, the label-issue types of one
 * model's stored label-quality run (a classification model's: its
 * mislabelled images) and the image-issue types of the image-quality fields,
 * each with its count. A prediction set that cannot be scored (only a top
 * label per image) is listed but not offered, with the reason. A row's button opens its members worst
 * first (label issues as patches, image issues in the grid); its code line is
 * the notebook call that reads the same members in the same order. A part
 * never computed offers its job (progress and cancel). Class names and other
 * dataset text are set as text, never HTML.
 */
import { Widget } from '@lumino/widgets';

import { button, fmtInt, h } from '../../base/dom';
import { nameSidePanel } from '../../ui/panelNames';
import { CodeSnippet } from '../../ui/CodeSnippet';
import { IImageIssueRow, ILabelIssueRow } from '../../model/tokens';
import { issueTitle, QualityJobKind, QualityModel } from '../../model/quality';

/** Sidebar panel of the open dataset's label and image issues. */
export class QualityPanel extends Widget {
  constructor(readonly quality: QualityModel) {
    super();
    this.id = 'visionlens-quality';
    this.addClass('jp-VisionLens-quality');
    nameSidePanel(this.title, 'quality');
    this._modelSelect.addEventListener(
      'change',
      () => void this.quality.choose(this._modelSelect.value || null)
    );
    this.node.append(
      h(
        'div',
        { className: 'jp-VisionLens-panelHeader' },
        h('div', { className: 'jp-VisionLens-panelTitle', text: 'Quality' })
      ),
      this._status,
      h('h3', { className: 'jp-VisionLens-qualityHeading', text: 'Labels' }),
      h('label', { text: 'Model ' }, this._modelSelect),
      this._labelNote,
      this._runLabel,
      this._labelRows,
      h('h3', { className: 'jp-VisionLens-qualityHeading', text: 'Images' }),
      this._imageNote,
      this._runImage,
      this._imageRows,
      h('div', {}, this._progress, this._cancel)
    );
    this._progress.hidden = true;
    this._cancel.hidden = true;
    quality.changed.connect(this._render, this);
    this._render();
  }

  dispose(): void {
    if (!this.isDisposed) {
      this.quality.dispose();
      super.dispose();
    }
  }

  /** Read the overview of the open dataset. */
  load(): Promise<void> {
    return this.quality.load();
  }

  private _render(): void {
    const q = this.quality;
    const overview = q.overview;
    const dataset = q.model.dataset;
    const running = q.runningKind;
    this._status.textContent = dataset
      ? (q.error ?? '')
      : 'Open a dataset from the VisionLens panel.';
    this._status.classList.toggle('jp-mod-error', !!q.error);
    const models = q.models;
    const chosen = q.chosenModel;
    this._modelSelect.replaceChildren(
      ...models.map(m => {
        // a set that cannot be scored is listed, not offered: its reason is
        // its tooltip, and the note below says it when it is the chosen one
        const reason = q.modelInfo(m)?.reason ?? null;
        const option = h('option', {
          text: reason
            ? `${m} (cannot be scored)`
            : overview?.scored.includes(m)
              ? m
              : `${m} (not scored)`,
          attrs: { value: m }
        });
        option.disabled = reason !== null;
        if (reason) {
          option.title = reason;
        }
        return option;
      })
    );
    this._modelSelect.value = chosen ?? '';
    this._modelSelect.disabled = !models.length || !!running;

    const label = overview?.label ?? null;
    const reason = chosen ? (q.modelInfo(chosen)?.reason ?? null) : null;
    this._labelNote.textContent = !dataset
      ? ''
      : !models.length
        ? "This dataset has no predictions: import a model's to score its labels."
        : reason
          ? `${chosen} cannot be scored: ${reason}.`
          : label?.kind === 'classification'
            ? `${fmtInt(label.images)} image labels scored against ${label.model} (its probability of the given label); flagged:`
            : label
              ? `${fmtInt(label.objects)} objects scored against ${label.model}; flagged:`
              : `No label quality of ${chosen ?? ''} yet.`;
    this._runLabel.textContent = label
      ? 'Score the labels again'
      : 'Score the labels';
    this._runLabel.hidden = !dataset || !chosen || reason !== null;
    this._runLabel.disabled = !!running;
    this._labelRows.replaceChildren(
      ...(label?.kind === 'classification'
        ? label.issues.map(row =>
            this._imageRow(row, 'images whose model disagrees')
          )
        : (label?.issues ?? []).map(row => this._labelRow(row)))
    );

    const image = overview?.image ?? null;
    this._imageNote.textContent = !dataset
      ? ''
      : image
        ? `${fmtInt(image.measured)} of ${fmtInt(image.images)} images measured; flagged:`
        : 'No image quality yet.';
    this._runImage.textContent = image
      ? 'Measure the images again'
      : 'Measure the images';
    this._runImage.hidden = !dataset;
    this._runImage.disabled = !!running;
    this._imageRows.replaceChildren(
      ...(image?.issues ?? []).map(row => this._imageRow(row))
    );

    const job = q.job;
    this._progress.hidden = !running;
    this._cancel.hidden = !job;
    this._progress.value = job?.progress ?? 0;
    this._progress.title = job?.message ?? '';
  }

  private _labelRow(row: ILabelIssueRow): HTMLElement {
    return this._row(
      row.issue,
      row.count,
      row.code,
      `Open the ${fmtInt(row.count)} flagged objects as patches, worst first`,
      () => this.quality.openLabelIssue(row)
    );
  }

  private _imageRow(row: IImageIssueRow, what = 'flagged images'): HTMLElement {
    return this._row(
      row.issue,
      row.count,
      row.code,
      `Show the ${fmtInt(row.count)} ${what} in the grid, worst first`,
      () => this.quality.openImageIssue(row)
    );
  }

  /** One issue type: its name and count (a button that opens the members) and its code. */
  private _row(
    issue: string,
    count: number,
    code: string | null,
    caption: string,
    open: () => Promise<void>
  ): HTMLElement {
    const openButton = button(
      `${issueTitle(issue)}: ${fmtInt(count)}`,
      'jp-VisionLens-qualityOpen',
      open
    );
    openButton.title = caption;
    openButton.disabled = count === 0;
    const snippet = new CodeSnippet('jp-VisionLens-qualityCode');
    snippet.set(code);
    return h(
      'div',
      {
        className: 'jp-VisionLens-qualityRow',
        attrs: { 'data-issue': issue, 'data-count': String(count) }
      },
      openButton,
      snippet.node
    );
  }

  private _runButton(
    kind: QualityJobKind,
    className: string
  ): HTMLButtonElement {
    return button('', `${className} jp-mod-accept`, () =>
      this.quality.run(kind)
    );
  }

  private _status = h('div', { className: 'jp-VisionLens-message' });
  private _modelSelect = h('select', {
    className: 'jp-VisionLens-qualityModel jp-mod-styled',
    attrs: { 'aria-label': 'Model' }
  });
  private _labelNote = h('div', { className: 'jp-VisionLens-qualityNote' });
  private _imageNote = h('div', { className: 'jp-VisionLens-qualityNote' });
  private _runLabel = this._runButton('label', 'jp-VisionLens-qualityRunLabel');
  private _runImage = this._runButton('image', 'jp-VisionLens-qualityRunImage');
  private _labelRows = h('div', {
    className: 'jp-VisionLens-qualityLabelRows'
  });
  private _imageRows = h('div', {
    className: 'jp-VisionLens-qualityImageRows'
  });
  private _progress = h('progress', {
    className: 'jp-VisionLens-qualityProgress',
    attrs: { max: '1', value: '0' }
  });
  private _cancel = button('Cancel', 'jp-VisionLens-qualityCancel', () =>
    this.quality.cancel()
  );
}
