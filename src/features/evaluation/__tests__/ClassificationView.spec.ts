import { ClassificationView } from '../ClassificationView';
import { IClassificationReport } from '../../../api/types';

const EVIL = '<img src=x onerror="window.__pwned=1">';

/** A report as visionlens_jlab/evaluate/classification.py returns it. */
function classificationReport(): IClassificationReport {
  return {
    kind: 'classification',
    dataset: 'flowers',
    model: 'resnet',
    images: 5,
    accuracy: 0.6,
    top5: 0.75,
    top_k_images: 4,
    per_class: [
      { class: 'daisy', precision: 2 / 3, recall: 1, f1: 0.8, support: 2 },
      { class: EVIL, precision: 0.5, recall: 1 / 3, f1: 0.4, support: 3 }
    ],
    confusion: {
      labels: ['daisy', EVIL, 'tulip'],
      matrix: [
        [2, 0, 0],
        [1, 1, 1],
        [0, 0, 0]
      ]
    },
    calibration: { ece: 0.1234, bins: 15, images: 5 },
    counts: { images: 5, multi_label: 1, unpredicted: 0, unlabelled: 0 },
    warnings: ['1 images with several ground-truth labels were left out']
  };
}

function stat(node: HTMLElement, name: string): string | null | undefined {
  const box = Array.from(node.querySelectorAll('.jp-VisionLens-evalStat')).find(
    el => el.querySelector('.jp-VisionLens-evalStatName')?.textContent === name
  );
  return box?.querySelector('.jp-VisionLens-evalStatValue')?.textContent;
}

function rows(table: Element | null): string[][] {
  return Array.from(table?.querySelectorAll('tr') ?? []).map(tr =>
    Array.from(tr.children).map(c => c.textContent ?? '')
  );
}

describe('ClassificationView', () => {
  it('shows accuracy, top-5 and ECE', () => {
    const { node } = new ClassificationView(classificationReport());
    expect(stat(node, 'accuracy')).toBe('0.600');
    expect(stat(node, 'top-5')).toBe('0.750');
    expect(stat(node, 'ECE')).toBe('0.123');
    expect(node.textContent).toContain(
      '1 images with several ground-truth labels were left out'
    );
  });

  it('shows n/a where a number is undefined', () => {
    const report = classificationReport();
    report.top5 = null;
    report.calibration.ece = null;
    const { node } = new ClassificationView(report);
    expect(stat(node, 'top-5')).toBe('n/a');
    expect(stat(node, 'ECE')).toBe('n/a');
  });

  it('lists per-class precision, recall, F1 and support', () => {
    const { node } = new ClassificationView(classificationReport());
    expect(rows(node.querySelector('.jp-VisionLens-evalTable'))).toEqual([
      ['class', 'precision', 'recall', 'f1', 'support'],
      ['daisy', '0.667', '1.000', '0.800', '2'],
      [EVIL, '0.500', '0.333', '0.400', '3']
    ]);
  });

  it('draws the confusion matrix over the classes it uses', () => {
    const { node } = new ClassificationView(classificationReport());
    expect(rows(node.querySelector('.jp-VisionLens-evalConfusion'))).toEqual([
      ['truth \\ pred', 'daisy', EVIL, 'tulip'],
      ['daisy', '2', '', ''],
      [EVIL, '1', '1', '1'],
      ['tulip', '', '', '']
    ]);
    const diagonal = node.querySelectorAll('.jp-VisionLens-evalDiagonal');
    expect(Array.from(diagonal).map(td => td.textContent)).toEqual([
      '2',
      '1',
      ''
    ]);
  });

  it('renders class names as text, never as HTML', () => {
    const { node } = new ClassificationView(classificationReport());
    expect(node.querySelector('img')).toBeNull();
    expect(node.textContent).toContain(EVIL);
    expect((window as any).__pwned).toBeUndefined();
  });
});
