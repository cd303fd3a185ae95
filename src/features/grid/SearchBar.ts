/**
 * The grid's search row: compute embeddings, search by text, by an uploaded
 * or pasted image, the number of results (k), the active search as a chip
 * with its state and a clear button, the server's coverage warning, and the
 * notebook call reproducing it (`codeNode`, which the grid places).
 *
 * It only reads and changes `model.search` (the grid shows the results).
 */
import { CommandRegistry } from '@lumino/commands';
import { IDisposable } from '@lumino/disposable';

import { button, fmtInt, h } from '../../base/dom';
import { MAX_K } from '../../model/search';
import {
  describeQuery,
  searchCode,
  textModelsHint
} from '../../model/similarity';
import { embeddingModels } from '../../model/sources/similarity';
import {
  CommandIDs,
  ISearchModel,
  ISearchState,
  IVisionLensModel
} from '../../model/tokens';
import { CodeSnippet } from '../../ui/CodeSnippet';
import { SearchStatus } from './SearchStatus';

/** The largest query image the server takes (20 MiB, search/limits.py). */
export const MAX_IMAGE_BYTES = 20 * 2 ** 20;

/** The file's bytes, base64-encoded (what `POST /search` takes as `image`). */
export function fileToBase64(file: Blob): Promise<string> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => {
      const url = String(reader.result);
      resolve(url.slice(url.indexOf(',') + 1));
    };
    reader.onerror = () => reject(reader.error);
    reader.readAsDataURL(file);
  });
}

/** The search row of the grid toolbar. */
export class SearchBar implements IDisposable {
  constructor(
    private readonly _model: IVisionLensModel,
    commands: CommandRegistry
  ) {
    const search = _model.search;
    const embed = button('Embed…', 'jp-VisionLens-embedButton', () =>
      commands.execute(CommandIDs.computeEmbeddings, {
        dataset: _model.dataset ?? ''
      })
    );
    embed.title = 'Compute embeddings of this dataset (a background job)';

    this._text = h('input', {
      className: 'jp-VisionLens-searchText jp-mod-styled',
      attrs: {
        type: 'search',
        placeholder: 'Search by text, or paste an image',
        'aria-label': 'Search the samples by text'
      }
    });
    this._text.addEventListener('keydown', event => {
      if (event.key === 'Enter' && this._text.value.trim()) {
        void this._run({ text: this._text.value.trim() });
      }
    });
    this._text.addEventListener('paste', event => this._onPaste(event));

    this._file = h('input', {
      className: 'jp-VisionLens-searchFile',
      attrs: { type: 'file', accept: 'image/*', 'aria-label': 'Query image' }
    });
    this._file.hidden = true;
    this._file.addEventListener('change', () => {
      const file = this._file.files?.[0];
      this._file.value = '';
      if (file) {
        void this._searchImage(file);
      }
    });
    const upload = button('Image…', 'jp-VisionLens-searchImage', () =>
      this._file.click()
    );
    upload.title = 'Search by an example image from your computer';

    this._k = h('input', {
      className: 'jp-VisionLens-searchK jp-mod-styled',
      attrs: {
        type: 'number',
        min: '1',
        max: String(MAX_K),
        step: '10',
        'aria-label': 'Number of results (k)'
      }
    });
    this._k.value = String(search.k);
    this._k.addEventListener('change', () => {
      search.setK(Number(this._k.value));
      this._k.value = String(search.k);
    });

    this._chip = h('span', { className: 'jp-VisionLens-searchChip' });
    this._chip.hidden = true;
    this._status = new SearchStatus();
    this._code = new CodeSnippet('jp-VisionLens-searchCode', {
      collapsible: true
    });

    this.node = h(
      'div',
      { className: 'jp-VisionLens-searchBar' },
      h(
        'div',
        { className: 'jp-VisionLens-toolbarRow' },
        embed,
        this._text,
        upload,
        this._file,
        h('label', { className: 'jp-VisionLens-control' }, 'k ', this._k),
        this._chip,
        this._status.message,
        this._status.warning
      )
    );
    search.changed.connect(this._render, this);
    this._render(search, search.state);
  }

  readonly node: HTMLDivElement;

  /**
   * The search's notebook call: the grid shows it in its view row, where the
   * view's own call is while no search is active (issue #47: one line less).
   */
  get codeNode(): HTMLDivElement {
    return this._code.node;
  }

  get isDisposed(): boolean {
    return this._disposed;
  }

  dispose(): void {
    if (!this._disposed) {
      this._disposed = true;
      this._model.search.changed.disconnect(this._render, this);
    }
  }

  private async _run(query: { text?: string; image?: string }): Promise<void> {
    if (!this._model.dataset) {
      this._say('Open a dataset first.', true);
      return;
    }
    await this._model.search.run(query);
  }

  private async _searchImage(file: Blob): Promise<void> {
    if (file.size > MAX_IMAGE_BYTES) {
      this._say(
        `The image is ${fmtInt(file.size)} bytes; the server takes at most ${fmtInt(MAX_IMAGE_BYTES)}.`,
        true
      );
      return;
    }
    this._say('Reading the image…');
    await this._run({ image: await fileToBase64(file) });
  }

  private _onPaste(event: ClipboardEvent): void {
    const item = [...(event.clipboardData?.items ?? [])].find(
      i => i.kind === 'file' && i.type.startsWith('image/')
    );
    const file = item?.getAsFile();
    if (file) {
      event.preventDefault();
      void this._searchImage(file);
    }
  }

  private _say(text: string, error = false): void {
    this._status.say(text, error);
  }

  private _render(_: ISearchModel, state: ISearchState | null): void {
    this._k.value = String(this._model.search.k);
    this._status.render(state);
    if (!state) {
      this._text.value = ''; // cleared, or another dataset: its query goes too
    }
    if (state?.error && state.query.text !== undefined) {
      void this._nameTextModels(state);
    }
    if (!state || state.error) {
      // a refused search is no active search: the status line says why
      this._chip.hidden = true;
      this._code.set(null);
      return;
    }
    const clear = button('×', 'jp-VisionLens-clearSearch', () =>
      this._model.search.clear()
    );
    clear.title = 'Clear the search: show the filtered samples again';
    clear.setAttribute('aria-label', 'Clear search');
    this._chip.replaceChildren(
      h('span', {
        className: 'jp-VisionLens-searchChipText',
        text: describeQuery(state.query)
      }),
      clear
    );
    this._chip.hidden = false;
    this._code.set(
      state.result?.code ?? searchCode(state.dataset, state.query, state.filter)
    );
  }

  /** A refused text search also says which models with text search are here. */
  private async _nameTextModels(state: ISearchState): Promise<void> {
    const models = await embeddingModels(this._model).catch(() => null);
    if (models && this._model.search.state === state) {
      this._say(`${state.error} ${textModelsHint(models)}`, true);
    }
  }

  private _text: HTMLInputElement;
  private _file: HTMLInputElement;
  private _k: HTMLInputElement;
  private _chip: HTMLSpanElement;
  private _status: SearchStatus;
  private _code: CodeSnippet;
  private _disposed = false;
}
