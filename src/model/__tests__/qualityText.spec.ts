/**
 * The quality view's words: scores are disagreements with one model, said as
 * such in the headline, the run's parameters, the rows' titles and each
 * row's worst example (what the model says against what the label says).
 */
import { IPatch } from '../../api/patchTypes';
import { ILabelQualityView } from '../../api/qualityTypes';
import {
  exampleSentence,
  issueMeaning,
  issueTitle,
  labelHeadline,
  labelRunParams
} from '../qualityText';

const GT: IPatch = {
  ann_id: 1,
  sample_id: 10,
  source: 'ground_truth',
  label: 'diamond',
  x: 0,
  y: 0,
  w: 10,
  h: 10,
  score: null,
  area: 100,
  iscrowd: false,
  attributes: {},
  file_name: 'a.jpg',
  image_width: 100,
  image_height: 100,
  bbox: [0, 0, 10, 10],
  tags: [],
  crop: null
};

const SQUARE = {
  ann_id: 2,
  source: 'det',
  label: 'square',
  x: 1,
  y: 0,
  w: 10,
  h: 10,
  score: 0.934,
  iou: 0.8182
};

const RUN: ILabelQualityView = {
  kind: 'objects',
  model: 'det',
  created_at: '2026-01-01T00:00:00',
  thresholds: { swapped: 0.28, spurious: 0.53 },
  objects: 12345,
  images: 2000,
  issues: [
    { count: 5000, issue: 'swapped' },
    { count: 456, issue: 'spurious' }
  ].map(r => ({
    ...r,
    issue: r.issue as 'swapped',
    filter: {},
    source: 'ground_truth',
    sort: 'lq_score',
    order: 'asc' as const,
    lq_model: 'det',
    code: '',
    example: null
  }))
};

describe('quality view words', () => {
  it('counts possible label issues as disagreements with the model', () => {
    expect(labelHeadline(RUN)).toBe(
      '5,456 possible label issues (disagreements with det)'
    );
    expect(labelHeadline({ ...RUN, issues: RUN.issues.slice(1, 1) })).toBe(
      '0 possible label issues (disagreements with det)'
    );
  });

  it("names what was compared, how it is scored and the run's thresholds", () => {
    const params = labelRunParams(RUN);
    expect(params).toContain('12,345 labels and predictions compared with det');
    expect(params).toContain('confidently');
    expect(params).toContain(
      'labelled as another class < 0.28, labelled, not detected < 0.53'
    );
    expect(
      labelRunParams({
        kind: 'classification',
        model: 'clf',
        created_at: '',
        thresholds: {},
        objects: 0,
        images: 1200,
        issues: []
      })
    ).toContain("1,200 image labels compared with clf's class probabilities");
  });

  it('titles issue types as disagreements, others from their name', () => {
    expect(issueTitle('swapped')).toBe('Labelled as another class');
    expect(issueTitle('overlooked')).toBe('Detected, not labelled');
    expect(issueTitle('odd_aspect_ratio')).toBe('Odd aspect ratio');
    expect(issueMeaning('spurious', 'det')).toContain("the model's miss");
    expect(issueMeaning('odd_aspect_ratio', 'det')).toBe('Odd aspect ratio');
  });

  it('says what the model says against what the label says', () => {
    const swapped = { ...GT, match: SQUARE };
    expect(exampleSentence('swapped', 'det', swapped)).toBe(
      "det says 'square' (0.93) where the label says 'diamond'"
    );
    expect(
      exampleSentence('badly_located', 'det', {
        ...GT,
        match: { ...SQUARE, label: 'diamond' }
      })
    ).toBe(
      "det's 'diamond' (0.93) overlaps the label 'diamond' at IoU 0.82 only"
    );
    expect(exampleSentence('spurious', 'det', { ...GT, match: null })).toBe(
      "det predicts nothing where the label says 'diamond'"
    );
    const detection: IPatch = {
      ...GT,
      source: 'det',
      label: 'square',
      score: 0.9,
      match: null
    };
    expect(exampleSentence('overlooked', 'det', detection)).toBe(
      "det says 'square' (0.90) where no label is"
    );
    // dataset text stays as it is: the caller sets it as text
    const hostile = '<img src=x onerror=alert(1)>';
    expect(
      exampleSentence('swapped', hostile, { ...swapped, label: hostile })
    ).toBe(`${hostile} says 'square' (0.93) where the label says '${hostile}'`);
  });
});
