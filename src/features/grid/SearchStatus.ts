/**
 * The status text beside the search row: "Searching…", the error, or the
 * result count with its model, and the server's coverage warning (issue #11)
 * while the results are shown: a space that covers only part of the dataset
 * must never pass for the whole truth.
 */
import { h } from '../../base/dom';
import { describeResult } from '../../model/similarity';
import { ISearchState } from '../../model/tokens';
import { visibleText } from '../../base/dataText';

/** The message and warning nodes of the search row, rendered from a search state. */
export class SearchStatus {
  constructor() {
    this.message = h('span', { className: 'jp-VisionLens-searchMessage' });
    this.warning = h('span', {
      className: 'jp-VisionLens-searchWarning',
      attrs: { role: 'status' }
    });
    this.warning.hidden = true;
  }

  /**
   * "Searching…", "N results · model" (with "+ captions" when a text search
   * was fused with them, its title then why CLIP gave none) or the error.
   */
  readonly message: HTMLSpanElement;
  /** The answer's `warning` (the server's text, shown as text), hidden when null. */
  readonly warning: HTMLSpanElement;

  /** A one-off message of the row (a refused image, no dataset). */
  say(text: string, error = false, title = ''): void {
    this.message.textContent = visibleText(text);
    this.message.title = visibleText(title);
    this.message.classList.toggle('jp-mod-error', error);
  }

  /** Show `state`: nothing when there is no search. */
  render(state: ISearchState | null): void {
    const warning = state?.result?.warning ?? null;
    this.warning.textContent = visibleText(warning ?? '');
    this.warning.title = visibleText(warning ?? '');
    this.warning.hidden = !warning;
    if (!state) {
      this.say('');
    } else if (state.error) {
      this.say(state.error, true);
    } else if (!state.result) {
      this.say('Searching…');
    } else {
      const clipError = state.result.fusion?.clip_error ?? '';
      this.say(describeResult(state.result), false, clipError);
    }
  }
}
