/**
 * Grid tiles: creation, filling from a sample (image URL, boxes, caption,
 * selection) and the hover summary. Everything from the dataset is text.
 */
import { ISample, IVisionLensModel } from '../../model/tokens';
import { classSummary, createOverlay, drawBoxes } from '../../ui/labels/boxes';
import { fmtValue, h, sampleField } from '../../base/dom';
import { renderTileOverlays } from '../../ui/contributions';
import { fmtScore } from '../../model/similarity';
import { imageUrl } from '../../model/sources/samples';
import { visibleText } from '../../base/dataText';

/** A tile element with its parts and what it currently shows. */
export interface ITileEl extends HTMLDivElement {
  _sampleId?: number;
  _viewVersion?: number;
  _img?: HTMLImageElement;
  _svg?: SVGSVGElement;
  /** The layer of the registered tile overlays (other extensions). */
  _ext?: HTMLDivElement;
  _caption?: HTMLDivElement;
  _score?: HTMLDivElement;
}

/** A new, empty tile at column `col`. */
export function createTile(col: number, tile: number, gap: number): ITileEl {
  const el = h('div', { className: 'jp-VisionLens-tile' }) as ITileEl;
  el.style.width = `${tile}px`;
  el.style.height = `${tile}px`;
  el.style.left = `${gap + col * (tile + gap)}px`;
  el.tabIndex = -1;
  el.setAttribute('role', 'gridcell');
  const img = h('img', { className: 'jp-VisionLens-tileImage' });
  img.alt = '';
  img.decoding = 'async';
  img.draggable = false;
  const svg = createOverlay('jp-VisionLens-overlay');
  const ext = h('div', { className: 'jp-VisionLens-tileExt' });
  const caption = h('div', { className: 'jp-VisionLens-tileCaption' });
  caption.hidden = true;
  const score = h('div', { className: 'jp-VisionLens-tileScore' });
  score.hidden = true;
  el.append(
    img,
    svg,
    ext,
    caption,
    score,
    h('div', { className: 'jp-VisionLens-tileCheck' })
  );
  el._img = img;
  el._svg = svg;
  el._ext = ext;
  el._caption = caption;
  el._score = score;
  return el;
}

/**
 * Show position `index` in a tile: hidden past the end, a placeholder while
 * its page loads, else the sample (with its similarity `score` when the grid
 * shows a search). Skips work when nothing changed.
 */
export function fillTile(
  el: ITileEl,
  model: IVisionLensModel,
  sample: ISample | null,
  index: number,
  total: number,
  tile: number,
  viewVersion: number,
  score: number | null = null
): void {
  if (index >= total) {
    el.style.visibility = 'hidden';
    el._sampleId = undefined;
    delete el.dataset.sampleId;
    return;
  }
  el.style.visibility = '';
  el.dataset.index = String(index);
  if (!sample) {
    if (el._sampleId !== undefined) {
      el._sampleId = undefined;
      delete el.dataset.sampleId;
      el._img?.removeAttribute('src');
      drawBoxes(el._svg as SVGSVGElement, model, null, null, [], {
        displaySize: tile
      });
      renderTileOverlays(model, el._ext as HTMLDivElement, null, tile);
      (el._caption as HTMLDivElement).hidden = true;
      (el._score as HTMLDivElement).hidden = true;
      delete el.dataset.score;
    }
    el.classList.add('jp-mod-loading');
    el.classList.remove('jp-mod-selected');
    return;
  }
  el.classList.remove('jp-mod-loading');
  if (el._sampleId === sample.sample_id && el._viewVersion === viewVersion) {
    return;
  }
  if (el._sampleId !== sample.sample_id) {
    el._sampleId = sample.sample_id;
    el.dataset.sampleId = String(sample.sample_id);
    // A plain HTTP URL: the browser caches and frees it (no blob URLs).
    (el._img as HTMLImageElement).src = imageUrl(
      model,
      model.dataset as string,
      sample.sample_id,
      256
    );
  }
  el._viewVersion = viewVersion;
  const badge = el._score as HTMLDivElement;
  badge.textContent = score === null ? '' : fmtScore(score);
  badge.hidden = score === null;
  if (score === null) {
    delete el.dataset.score;
  } else {
    el.dataset.score = String(score);
  }
  const selected = model.isSelected(sample.sample_id);
  el.classList.toggle('jp-mod-selected', selected);
  el.setAttribute('aria-selected', String(selected));
  el.setAttribute('aria-label', visibleText(sample.file_name));
  const caption = el._caption as HTMLDivElement;
  const shown = model.visibleFields
    .map(name => fmtValue(sampleField(sample as any, name)))
    .filter(v => v !== '');
  caption.textContent = visibleText(shown.join(' · '));
  caption.hidden = shown.length === 0;
  drawBoxes(
    el._svg as SVGSVGElement,
    model,
    sample.width,
    sample.height,
    sample.annotations ?? [],
    { displaySize: tile, strokeWidth: tile >= 160 ? 2 : 1.5 }
  );
  renderTileOverlays(model, el._ext as HTMLDivElement, sample, tile);
}

/** Fill the hover summary: file name, box count, classes, tags, shown fields. */
export function fillTooltip(
  tip: HTMLElement,
  model: IVisionLensModel,
  sample: ISample
): void {
  const summary = classSummary(model, sample.annotations ?? []);
  const size =
    sample.width && sample.height ? ` · ${sample.width}×${sample.height}` : '';
  tip.replaceChildren(
    h('div', {
      className: 'jp-VisionLens-tooltipTitle',
      text: sample.file_name
    }),
    h('div', {
      text: `${summary.boxes} box${summary.boxes === 1 ? '' : 'es'}${size}`
    }),
    summary.text ? h('div', { text: summary.text }) : '',
    sample.tags?.length
      ? h('div', { text: `tags: ${sample.tags.join(', ')}` })
      : '',
    ...model.visibleFields.map(name =>
      h('div', {
        text: `${name}: ${fmtValue(sampleField(sample as any, name))}`
      })
    )
  );
}
