/**
 * The "reproducible as code" strip of the search and duplicates views: the
 * notebook call (text, never HTML) and a button that copies it.
 */
import { Clipboard } from '@jupyterlab/apputils';

import { button, h } from '../base/dom';
import { snippet } from '../model/similarity';

/** A code line with a copy button; `set(null)` hides it. */
export class CodeSnippet {
  constructor(className: string) {
    this._code = h('code', { className: 'jp-VisionLens-codeText' });
    const copy = button('Copy', 'jp-VisionLens-copyCode', () => {
      Clipboard.copyToSystem(this._text);
      copy.textContent = 'Copied';
      setTimeout(() => (copy.textContent = 'Copy'), 1500);
    });
    copy.title = 'Copy the Python code (with its import) to the clipboard';
    this.node = h(
      'div',
      { className: `jp-VisionLens-code ${className}` },
      h('pre', {}, this._code),
      copy
    );
    this.node.hidden = true;
  }

  readonly node: HTMLDivElement;

  /** The full text the copy button copies (import line included). */
  get text(): string {
    return this._text;
  }

  /** Show the notebook call `code` (the import line is added), or hide. */
  set(code: string | null): void {
    this._text = code ? snippet(code) : '';
    this._code.textContent = this._text;
    this.node.hidden = !code;
  }

  private _code: HTMLElement;
  private _text = '';
}
