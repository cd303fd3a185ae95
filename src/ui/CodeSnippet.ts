/**
 * The "reproducible as code" strip of the search and duplicates views: the
 * notebook call (text, never HTML) and a button that copies it.
 *
 * A collapsible snippet (the grid's, issue #47) takes one line until it is
 * expanded: the call alone, ellipsised, the whole code in its title. The
 * grid's header holds up to three of them above the tiles.
 */
import { Clipboard } from '@jupyterlab/apputils';

import { button, h } from '../base/dom';
import { IMPORT_LINE, snippet } from '../model/similarity';

/** Options of a code snippet. */
export interface ICodeSnippetOptions {
  /** One line (the call) until the user expands it; false by default. */
  collapsible?: boolean;
}

/** A code line with a copy button; `set(null)` hides it. */
export class CodeSnippet {
  constructor(className: string, options: ICodeSnippetOptions = {}) {
    this._import = h('span', { className: 'jp-VisionLens-codeImport' });
    this._call = h('span', { className: 'jp-VisionLens-codeCall' });
    this._pre = h(
      'pre',
      {},
      h(
        'code',
        { className: 'jp-VisionLens-codeText' },
        this._import,
        this._call
      )
    );
    const copy = button('Copy', 'jp-VisionLens-copyCode', () => {
      Clipboard.copyToSystem(this._text);
      copy.textContent = 'Copied';
      setTimeout(() => (copy.textContent = 'Copy'), 1500);
    });
    copy.title = 'Copy the Python code (with its import) to the clipboard';
    this.node = h(
      'div',
      { className: `jp-VisionLens-code ${className}` },
      this._pre,
      copy
    );
    if (options.collapsible) {
      this._expander = button('', 'jp-VisionLens-codeExpander', () =>
        this.setExpanded(!this.expanded)
      );
      this.node.prepend(this._expander);
      this.node.classList.add('jp-mod-collapsible');
      this.setExpanded(false);
    }
    this.node.hidden = true;
  }

  readonly node: HTMLDivElement;

  /** The full text the copy button copies (import line included). */
  get text(): string {
    return this._text;
  }

  /** Whether the whole code is shown (always, unless collapsible). */
  get expanded(): boolean {
    return !this.node.classList.contains('jp-mod-collapsed');
  }

  /** Show the whole code, or only its call on one line (collapsible only). */
  setExpanded(expanded: boolean): void {
    const expander = this._expander;
    if (!expander) {
      return;
    }
    this.node.classList.toggle('jp-mod-collapsed', !expanded);
    expander.textContent = expanded ? '▾' : '▸';
    expander.title = expanded
      ? 'Show the code on one line'
      : 'Show the whole code';
    expander.setAttribute('aria-expanded', String(expanded));
    expander.setAttribute('aria-label', expander.title);
    this._syncTitle();
  }

  /** Show the notebook call `code` (the import line is added), or hide. */
  set(code: string | null): void {
    this._text = code ? snippet(code) : '';
    // Two spans whose text together is `text`: the collapsed line hides the
    // import, which is the same in every snippet.
    this._import.textContent = code ? `${IMPORT_LINE}\n` : '';
    this._call.textContent = code ?? '';
    this.node.hidden = !code;
    this._syncTitle();
  }

  /** A collapsed line is cut: its title is the whole code. */
  private _syncTitle(): void {
    if (this._expander && !this.expanded) {
      this._pre.title = this._text;
    } else {
      this._pre.removeAttribute('title');
    }
  }

  private _import: HTMLSpanElement;
  private _call: HTMLSpanElement;
  private _pre: HTMLPreElement;
  private _expander: HTMLButtonElement | null = null;
  private _text = '';
}
