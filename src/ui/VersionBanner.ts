/**
 * The banner of every view that reads the browsed version (the grid, the
 * sample view in its tab and over the grid, the map, the patches) while a
 * saved version is browsed: which version (its number, message and date),
 * that it is read-only, and the way back to the current labels, for every
 * view at once (the browse state is the model's). Hidden otherwise.
 */
import { Widget } from '@lumino/widgets';

import { h } from '../base/dom';
import { visibleText } from '../base/dataText';
import { IVisionLensModel } from '../model/tokens';
import { VersionBrowse, versionBrowse } from '../model/versionBrowse';

/** The read-only banner of a browsed version, for the top of a view. */
export class VersionBanner extends Widget {
  constructor(model: IVisionLensModel) {
    super();
    this.addClass('jp-VisionLens-versionBanner');
    this.node.setAttribute('role', 'status');
    this._browse = versionBrowse(model);
    this._text = h('span', { className: 'jp-VisionLens-versionBannerText' });
    const back = h(
      'button',
      { className: 'jp-mod-styled jp-VisionLens-versionBack' },
      'Back to current'
    );
    back.addEventListener('click', () => {
      const b = this._browse.browsed;
      if (b) {
        this._browse.browse(b.dataset, null);
      }
    });
    this.node.append(this._text, back);
    this._browse.changed.connect(this._update, this);
    model.datasetChanged.connect(this._update, this);
    this._update();
  }

  private _update(): void {
    const b = this._browse.browsed;
    this.setHidden(b === null);
    if (b) {
      const v = b.version;
      const message = v.message ? ` · ${visibleText(v.message)}` : '';
      this._text.textContent =
        `Version ${v.version} (read-only)${message} · saved ` +
        new Date(v.created_at).toLocaleString();
    }
  }

  private _browse: VersionBrowse;
  private _text: HTMLSpanElement;
}
