import { setDiffers } from '../../../model/classificationFilters';
import { setCategorical, setRange } from '../../../model/filters';
import { IFilter } from '../../../model/tokens';
import { describeFilter, removeChip } from '../chips';

describe('chips of labels beyond the box', () => {
  it('shows a chip per condition and removes it', () => {
    let f: IFilter = setCategorical(
      {},
      { name: 'label_type', source: 'ground_truth' },
      ['keypoints', 'classification']
    );
    f = setDiffers(f, 'clf', true);
    f = setRange(
      f,
      { name: 'classification_score', source: 'clf' },
      { min: 0.25 }
    );
    const chips = describeFilter(f);
    expect(chips.map(c => c.text)).toEqual([
      'with keypoints (ground truth)',
      'has image label (ground truth)',
      'image label score ≥ 0.25; image label differs from ground truth (model clf)'
    ]);
    f = removeChip(f, 'classifications:0');
    expect(f.classifications).toEqual([
      { source: 'clf', score: { min: 0.25 }, differs_from_ground_truth: true }
    ]);
    f = removeChip(f, 'classifications:0');
    expect(f).toEqual({
      labels: [{ source: 'ground_truth', type: ['keypoints'] }]
    });
  });
});
