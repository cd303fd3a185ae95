/**
 * The sample view's image-label buttons send one edit each, with the labels
 * shown as `expected`: Set makes the typed class the ground-truth image label,
 * Remove takes the typed one (or every one) away; a model's labels are not
 * the sample's, and nothing is sent without a class or a label to remove.
 */
import { wireSample } from '../../../__tests__/wireSample';
import { groundTruthLabels, imageLabelOperation } from '../sampleImageLabel';

const labelled = wireSample({
  sample_id: 4,
  classifications: [
    { source: 'ground_truth', label: 'dog', score: null },
    { source: 'ground_truth', label: 'cat', score: null },
    { source: 'resnet', label: 'bird', score: 0.9 }
  ]
});

describe('image label edits', () => {
  it("reads the sample's ground-truth image labels, sorted", () => {
    expect(groundTruthLabels(labelled)).toEqual(['cat', 'dog']);
  });

  it('sets the typed class, expecting the labels shown', () => {
    expect(imageLabelOperation(labelled, true, 'bird')).toEqual({
      op: 'classify',
      sample_id: 4,
      label: 'bird',
      expected: { labels: ['cat', 'dog'] }
    });
    expect(imageLabelOperation(labelled, true, '')).toBeNull();
  });

  it('removes the typed label, or every one when none is typed', () => {
    expect(imageLabelOperation(labelled, false, 'cat')).toEqual({
      op: 'unclassify',
      sample_id: 4,
      label: 'cat',
      expected: { labels: ['cat', 'dog'] }
    });
    expect(imageLabelOperation(labelled, false, '')).toEqual({
      op: 'unclassify',
      sample_id: 4,
      expected: { labels: ['cat', 'dog'] }
    });
    const bare = wireSample({ sample_id: 5 });
    expect(imageLabelOperation(bare, false, '')).toBeNull();
  });
});
