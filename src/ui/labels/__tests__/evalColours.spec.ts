/**
 * TP/FP/FN colouring: the stroke each status gets (colour from the theme's
 * variables, line style so the statuses differ without colour), the box
 * renderer drawing it as an option of the same draw call, and the legend.
 */
import { GROUND_TRUTH, IAnnotation, ISample } from '../../../model/tokens';
import { boxStroke, statusColours, statusLegend } from '../evalColours';
import { ILabelStyle } from '../overlay';
import { createLabelLayers, drawSampleLabels } from '../sampleLabels';
import { ALL_LABEL_TYPES, LabelTypeToggles } from '../../../model/labels';
import { evalColourControl } from '../labelTypeControl';
import { wireBox, wireSample } from '../../../__tests__/wireSample';

const CLASS_COLOUR = '#123456';
const STYLE: ILabelStyle = {
  isBoxVisible: () => true,
  classColor: () => CLASS_COLOUR
};

// The theme's colours (dark-theme-like values: not the fallbacks), set
// before the first read: they are read once per theme.
beforeAll(() => {
  document.body.dataset.jpThemeName = 'JupyterLab Dark';
  document.body.style.setProperty('--jp-success-color1', '#00ff01');
  document.body.style.setProperty('--jp-error-color1', '#ff0002');
  document.body.style.setProperty('--jp-warn-color1', '#ff9903');
});

function box(
  ann_id: number,
  source: string,
  status: IAnnotation['status']
): IAnnotation {
  return wireBox({
    ann_id,
    source,
    label: 'cat',
    bbox: [10, 10, 40, 30],
    score: source === GROUND_TRUTH ? null : 0.9,
    status
  });
}

function draw(annotations: IAnnotation[], evalColours: boolean) {
  const layers = createLabelLayers();
  const sample: ISample = wireSample({
    sample_id: 1,
    file_name: 'a.png',
    width: 100,
    height: 100,
    annotations
  });
  drawSampleLabels(layers, STYLE, sample, {
    displaySize: 100,
    shown: ALL_LABEL_TYPES,
    keypointClasses: new Map(),
    layout: { cssWidth: 100, cssHeight: 100, pixelRatio: 1 },
    compact: true,
    maskStep: 1,
    onMaskReady: null,
    evalColours
  });
  return [...layers.svg.querySelectorAll('g.jp-VisionLens-box')].map(g => {
    const rect = g.querySelector('rect')!;
    return {
      status: (g as SVGGElement).dataset.status ?? null,
      stroke: rect.getAttribute('stroke'),
      dash: rect.getAttribute('stroke-dasharray'),
      width: Number(rect.getAttribute('stroke-width'))
    };
  });
}

describe('TP/FP/FN colours', () => {
  it('read the theme variables', () => {
    expect(statusColours()).toEqual({
      tp: '#00ff01',
      fp: '#ff0002',
      fn: '#ff9903'
    });
  });

  it('are read again after a theme switch, not before', () => {
    document.body.style.setProperty('--jp-success-color1', '#00aa11');
    expect(statusColours().tp).toBe('#00ff01');
    document.body.dataset.jpThemeName = 'JupyterLab Light';
    try {
      expect(statusColours().tp).toBe('#00aa11');
    } finally {
      document.body.style.setProperty('--jp-success-color1', '#00ff01');
      document.body.dataset.jpThemeName = 'JupyterLab Dark';
    }
    expect(statusColours().tp).toBe('#00ff01');
  });

  it('give each status its own colour and line; others keep the class', () => {
    const tpGT = boxStroke(CLASS_COLOUR, true, 'tp', true, 1, 2);
    const tpPred = boxStroke(CLASS_COLOUR, false, 'tp', true, 1, 2);
    const fp = boxStroke(CLASS_COLOUR, false, 'fp', true, 1, 2);
    const fn = boxStroke(CLASS_COLOUR, true, 'fn', true, 1, 2);
    expect(tpGT).toEqual({ color: '#00ff01', dash: null, width: 2 });
    expect(tpPred).toEqual({ color: '#00ff01', dash: '4 3', width: 2 });
    expect(fp).toEqual({ color: '#ff0002', dash: '8 4', width: 3.5 });
    expect(fn).toEqual({ color: '#ff9903', dash: '1.5 2.5', width: 3 });
    // the three line styles differ without their colours
    const lines = [tpPred, fp, fn].map(s => `${s.dash}/${s.width}`);
    expect(new Set(lines).size).toBe(3);
    expect(boxStroke(CLASS_COLOUR, false, 'ignored', true, 1, 2).color).toBe(
      CLASS_COLOUR
    );
    expect(boxStroke(CLASS_COLOUR, false, null, true, 1, 2).color).toBe(
      CLASS_COLOUR
    );
    expect(boxStroke(CLASS_COLOUR, false, 'fp', false, 1, 2)).toEqual({
      color: CLASS_COLOUR,
      dash: '4 3',
      width: 2
    });
  });

  it('draw the boxes by status when asked, by class otherwise', () => {
    const boxes = [
      box(1, GROUND_TRUTH, 'tp'),
      box(2, GROUND_TRUTH, 'fn'),
      box(3, 'det', 'tp'),
      box(4, 'det', 'fp'),
      box(5, 'other', null)
    ];
    const coloured = draw(boxes, true);
    // displaySize 100 over a 100 px image: 1 image px per screen px, stroke 2
    expect(coloured).toEqual([
      { status: 'tp', stroke: '#00ff01', dash: null, width: 2 },
      { status: 'fn', stroke: '#ff9903', dash: '1.5 2.5', width: 3 },
      { status: 'tp', stroke: '#00ff01', dash: '4 3', width: 2 },
      { status: 'fp', stroke: '#ff0002', dash: '8 4', width: 3.5 },
      { status: null, stroke: CLASS_COLOUR, dash: '4 3', width: 2 }
    ]);
    const plain = draw(boxes, false);
    expect(plain.map(b => [b.status, b.stroke])).toEqual(
      boxes.map(() => [null, CLASS_COLOUR])
    );
    expect(plain.map(b => b.dash)).toEqual([null, null, '4 3', '4 3', '4 3']);
  });

  it('has a legend with each status in its colour and line', () => {
    const legend = statusLegend();
    const items = [...legend.querySelectorAll('[data-status]')].map(el => ({
      status: (el as HTMLElement).dataset.status,
      text: el.textContent,
      stroke: el.querySelector('line')?.getAttribute('stroke'),
      dash: el.querySelector('line')?.getAttribute('stroke-dasharray') ?? null
    }));
    expect(items).toEqual([
      { status: 'tp', text: 'TP', stroke: '#00ff01', dash: null },
      { status: 'fp', text: 'FP', stroke: '#ff0002', dash: '8 4' },
      { status: 'fn', text: 'FN (missed)', stroke: '#ff9903', dash: '1.5 2.5' }
    ]);
  });

  it('are off by default; the toggle and the settings turn them on', () => {
    const toggles = new LabelTypeToggles();
    const control = evalColourControl(toggles);
    const box = control.node.querySelector('input') as HTMLInputElement;
    const legend = control.node.querySelector(
      '.jp-VisionLens-evalLegend'
    ) as HTMLElement;
    expect([toggles.evalColours, box.checked, legend.hidden]).toEqual([
      false,
      false,
      true
    ]);
    let changes = 0;
    toggles.changed.connect(() => changes++);
    box.checked = true;
    box.dispatchEvent(new Event('change'));
    expect([toggles.evalColours, legend.hidden, changes]).toEqual([
      true,
      false,
      1
    ]);
    toggles.apply({ boxes: true, evalColours: false }); // the settings
    expect([box.checked, legend.hidden, changes]).toEqual([false, true, 2]);
    control.dispose();
  });
});
