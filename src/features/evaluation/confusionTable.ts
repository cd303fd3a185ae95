/**
 * The confusion matrix as a small heat-shaded table, shared by the object and
 * the classification reports. Labels are dataset text: textContent only.
 */
import { h } from '../../base/dom';

/**
 * A table of `matrix` (rows: truth, columns: prediction) over the labels that
 * appear somewhere in it; `onCell` gives a non-empty cell its click action.
 */
export function confusionTable(
  labels: readonly string[],
  matrix: readonly (readonly number[])[],
  onCell?: (truth: string, predicted: string) => (() => void) | null
): HTMLTableElement {
  let max = 1;
  for (const row of matrix) {
    for (const v of row) {
      max = Math.max(max, v);
    }
  }
  // Only classes that appear somewhere in the matrix, to keep it readable.
  const used = labels
    .map((_, i) => i)
    .filter(i => matrix[i].some(v => v > 0) || matrix.some(row => row[i] > 0));
  const table = h('table', { className: 'jp-VisionLens-evalConfusion' });
  const head = h('tr', {}, h('th', { text: 'truth \\ pred' }));
  for (const j of used) {
    head.append(h('th', { text: labels[j], title: labels[j] }));
  }
  table.append(head);
  for (const i of used) {
    const tr = h('tr', {}, h('th', { text: labels[i], title: labels[i] }));
    for (const j of used) {
      const value = matrix[i][j];
      const td = h('td', {
        text: value ? String(value) : '',
        title: `${labels[i]} → ${labels[j]}: ${value}`
      });
      td.style.setProperty('--jp-visionlens-heat', String(value / max));
      if (i === j) {
        td.classList.add('jp-VisionLens-evalDiagonal');
      }
      const action = value && onCell ? onCell(labels[i], labels[j]) : null;
      if (action) {
        td.classList.add('jp-VisionLens-evalClickable');
        td.addEventListener('click', action);
      }
      tr.append(td);
    }
    table.append(tr);
  }
  return table;
}
