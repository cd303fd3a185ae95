import { facetKey } from '../../../model/__tests__/facetKeys';
import { setDiffers } from '../../../model/classificationFilters';
import { setCategorical, setRange } from '../../../model/filters';
import { IFilter } from '../../../model/tokens';
import { describeFilter, removeChip } from '../chips';

describe('chips of labels beyond the box', () => {
  it('shows a chip per condition and removes it', () => {
    let f: IFilter = setCategorical(
      {},
      facetKey('label_type', 'ground_truth'),
      ['keypoints', 'classification']
    );
    f = setDiffers(f, 'clf', true);
    f = setRange(f, facetKey('classification_score', 'clf'), { min: 0.25 });
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
