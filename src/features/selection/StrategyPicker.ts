/**
 * The strategies of a selection: a checkbox per strategy word and its weight
 * (a number above 0; the server checks it and names a bad one).
 */
import { h } from '../../base/dom';
import { IStrategyChoice, STRATEGIES, VECTOR_STRATEGIES } from './format';

/** One checkbox and one weight per strategy word, in {@link STRATEGIES} order. */
export class StrategyPicker {
  readonly node: HTMLFieldSetElement = h(
    'fieldset',
    { className: 'jp-VisionLens-selStrategies' },
    h('legend', { text: 'Strategies and weights' })
  );

  constructor() {
    for (const { word, tip } of STRATEGIES) {
      const box = h('input', {
        attrs: { type: 'checkbox', 'aria-label': word, 'data-strategy': word }
      });
      const weight = h('input', {
        className: 'jp-mod-styled jp-VisionLens-selWeight',
        attrs: {
          type: 'number',
          min: '0',
          step: '0.1',
          value: '1',
          'aria-label': `${word} weight`
        }
      });
      const kind = VECTOR_STRATEGIES.has(word) ? ' (vectors)' : '';
      this.node.append(
        h(
          'div',
          { className: 'jp-VisionLens-selStrategy', title: `${tip}${kind}` },
          h('label', {}, box, ` ${word}`),
          weight
        )
      );
      this._rows.push({ word, box, weight });
    }
  }

  /** Tick exactly the strategies `words`. */
  setChecked(words: readonly string[]): void {
    for (const row of this._rows) {
      row.box.checked = words.includes(row.word);
    }
  }

  /** The ticked strategies with their weights as typed. */
  choices(): IStrategyChoice[] {
    return this._rows
      .filter(r => r.box.checked)
      .map(r => ({ word: r.word, weight: r.weight.value }));
  }

  private readonly _rows: {
    word: string;
    box: HTMLInputElement;
    weight: HTMLInputElement;
  }[] = [];
}
