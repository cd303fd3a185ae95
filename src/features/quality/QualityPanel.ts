/**
 * The quality panel: for the open dataset, the label-issue types of one
 * model's stored label-quality run (a classification model's: its
 * mislabelled images) and the image-issue types of the image-quality fields,
 * each with its count. Label issues are what they are: disagreements between
 * the ground truth and that model (`qualityText`), counted as possible label
 * issues, with the run's parameters, and each row shows its worst example
 * drawn with the prediction it disagrees with. A prediction set that cannot
 * be scored (only a top label per image) is listed but not offered, with the
 * reason. A row's button opens its members worst first (label issues as
 * patches, image issues in the grid); its code (the notebook call that reads
 * the same members in the same order) stays hidden behind a small toggle
 * until asked for. A semantic-mask model's run has one row, its flagged
 * regions with their count per class, which opens them as patches (kind
 * `regions`), worst first. A part never computed offers its job (progress and
 * cancel). Class names and other dataset text are set as text, never HTML.
 */
import { Widget } from '@lumino/widgets';

import { button, fmtInt, h } from '../../base/dom';
import { visibleText } from '../../base/dataText';
import { nameSidePanel } from '../../ui/panelNames';
import { CodeSnippet } from '../../ui/CodeSnippet';
import { staleText } from '../../ui/staleNote';
import { patchCrop } from '../../ui/patchCrop';
import { ILabelStyle } from '../../ui/labels/overlay';
import { IImageIssueRow, ILabelIssueRow, IPatch } from '../../model/tokens';
import { IRegionIssueRow } from '../../api/qualityTypes';
import { QualityJobKind, QualityModel } from '../../model/quality';
import {
  exampleSentence,
  issueMeaning,
  issueTitle,
  labelHeadline,
  labelRunParams
} from '../../model/qualityText';

/** An example's crop, CSS pixels (its longest side; a crop route size). */
const EXAMPLE = 128;

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
      this._labelParams,
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
          : label
            ? [labelHeadline(label), staleText(label)].filter(Boolean).join(' ')
            : `No label quality of ${chosen ?? ''} yet.`;
    this._labelParams.textContent = label ? labelRunParams(label) : '';
    this._labelParams.hidden = !label;
    this._runLabel.textContent = label
      ? 'Score the labels again'
      : 'Score the labels';
    this._runLabel.hidden = !dataset || !chosen || reason !== null;
    this._runLabel.disabled = !!running;
    this._labelRows.replaceChildren(
      ...(label?.kind === 'classification'
        ? label.issues.map(row =>
            this._imageRow(
              row,
              `images where ${label.model} disagrees`,
              issueMeaning(row.issue, label.model)
            )
          )
        : label?.kind === 'semantic'
          ? label.issues.map(row => this._regionRow(row))
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
    const model = row.lq_model;
    const node = this._row(
      row.issue,
      row.count,
      row.code,
      `${issueMeaning(row.issue, model)}. Open the ${fmtInt(row.count)} ` +
        'objects as patches, worst first',
      () => this.quality.openLabelIssue(row)
    );
    if (row.example) {
      node.insertBefore(
        this._example(row.issue, model, row.example),
        node.querySelector('.jp-VisionLens-qualityCode')
      );
    }
    return node;
  }

  /** A semantic run's row: its flagged regions, per class, opened as patches. */
  private _regionRow(row: IRegionIssueRow): HTMLElement {
    const node = this._row(
      row.issue,
      row.count,
      row.code,
      `${issueMeaning(row.issue, row.model)}. Open the ${fmtInt(row.count)} ` +
        'regions as patches, worst first',
      () => this.quality.openRegionIssue(row)
    );
    if (row.classes.length) {
      node.insertBefore(
        h('div', {
          className: 'jp-VisionLens-qualityClasses',
          text: visibleText(
            row.classes.map(c => `${c.class}: ${fmtInt(c.count)}`).join(' · ')
          )
        }),
        node.querySelector('.jp-VisionLens-qualityCode')
      );
    }
    return node;
  }

  /** The worst member of a label-issue row: its crop with the pair drawn, and in words. */
  private _example(issue: string, model: string, patch: IPatch): HTMLElement {
    const src = this.quality.exampleCropUrl(patch, EXAMPLE);
    const img = h('img', { attrs: { src: src ?? '', alt: '' } });
    const m = patch.match;
    return h(
      'div',
      {
        className: 'jp-VisionLens-qualityExample',
        title: `${patch.file_name} (object ${patch.ann_id})`,
        attrs: {
          'data-ann-id': String(patch.ann_id),
          ...(m ? { 'data-match-id': String(m.ann_id) } : {})
        }
      },
      patchCrop(img, patch, this._style, EXAMPLE),
      h('div', {
        className: 'jp-VisionLens-qualityExampleText',
        text: `Worst: ${exampleSentence(issue, model, patch)}`
      })
    );
  }

  private _imageRow(
    row: IImageIssueRow,
    what = 'flagged images',
    meaning = ''
  ): HTMLElement {
    return this._row(
      row.issue,
      row.count,
      row.code,
      `${meaning ? `${meaning}. ` : ''}Show the ${fmtInt(row.count)} ${what} in the grid, worst first`,
      () => this.quality.openImageIssue(row)
    );
  }

  /**
   * One issue type: its name and count (a button that opens the members) and
   * its code, hidden until its toggle shows it (kept shown across renders).
   */
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
    const toggle = button('</>', 'jp-VisionLens-qualityCodeToggle', () =>
      show(snippet.node.hidden)
    );
    const show = (shown: boolean): void => {
      snippet.node.hidden = !shown;
      toggle.setAttribute('aria-expanded', String(shown));
      toggle.title = shown
        ? 'Hide the code'
        : 'Show the notebook code of this view';
      toggle.setAttribute('aria-label', toggle.title);
      if (shown) {
        this._codeShown.add(issue);
      } else {
        this._codeShown.delete(issue);
      }
    };
    show(this._codeShown.has(issue));
    toggle.hidden = !code;
    return h(
      'div',
      {
        className: 'jp-VisionLens-qualityRow',
        attrs: { 'data-issue': issue, 'data-count': String(count) }
      },
      h(
        'div',
        { className: 'jp-VisionLens-qualityRowHead' },
        openButton,
        toggle
      ),
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
  private _labelNote = h('div', {
    className: 'jp-VisionLens-qualityNote jp-VisionLens-qualityHeadline'
  });
  private _labelParams = h('div', {
    className: 'jp-VisionLens-qualityParams'
  });
  /** The rows whose code the user showed (by issue type). */
  private _codeShown = new Set<string>();
  /** The grid's class colours; an example's own object is always drawn. */
  private readonly _style: ILabelStyle = {
    isBoxVisible: () => true,
    classColor: label => this.quality.model.classColor(label)
  };
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
