/**
 * The quality panel draws its rows from the overview (a count per issue type,
 * its code) and dataset text as text: a hostile model name is an option's and
 * a note's text, never markup. The open-patches arguments a row gives are
 * what the patches plugin turns into its choice.
 */
import { Signal } from '@lumino/signaling';

import { IQualityOverview } from '../../../model/tokens';
import { choiceOf } from '../../patches/plugin';
import { patchesArgs, QualityModel } from '../../../model/quality';
import { QualityPanel } from '../QualityPanel';

const HOSTILE = '<img src=x onerror="alert(1)">';

const OVERVIEW: IQualityOverview = {
  dataset: 'd',
  scored: [HOSTILE],
  model: HOSTILE,
  label: {
    model: HOSTILE,
    created_at: '2026-01-01T00:00:00',
    thresholds: {},
    objects: 1234,
    issues: [
      {
        issue: 'badly_located',
        count: 5,
        filter: { labels: [{ source: 'ground_truth' }] },
        source: 'ground_truth',
        sort: 'lq_score',
        order: 'asc',
        lq_model: HOSTILE,
        code: "vl.dataset('d').patches()"
      }
    ]
  },
  image: null
};

function panel(): QualityPanel {
  const fake = {
    dataset: 'd',
    currentInfo: { models: [{ name: HOSTILE }] },
    datasetChanged: new Signal<unknown, unknown>({}),
    dataChanged: new Signal<unknown, unknown>({}),
    client: { qualityOverview: async () => OVERVIEW }
  };
  const quality = new QualityModel(fake as any, {
    patches: async () => undefined,
    grid: async () => undefined
  });
  return new QualityPanel(quality);
}

describe('QualityPanel', () => {
  it('shows a row per issue with its count and code, dataset text as text', async () => {
    const widget = panel();
    await widget.load();
    const rows = widget.node.querySelectorAll('.jp-VisionLens-qualityRow');
    expect(rows.length).toBe(1);
    expect(rows[0].getAttribute('data-count')).toBe('5');
    expect(rows[0].querySelector('button')?.textContent).toBe(
      'Badly located: 5'
    );
    expect(rows[0].querySelector('code')?.textContent).toContain(
      "vl.dataset('d').patches()"
    );
    const option = widget.node.querySelector('option');
    expect(option?.textContent).toBe(HOSTILE);
    expect(widget.node.querySelector('img')).toBeNull();
    expect(widget.node.textContent).toContain(
      `1,234 objects scored against ${HOSTILE}`
    );
    expect(
      widget.node.querySelector('.jp-VisionLens-qualityImageRows')?.children
    ).toHaveLength(0);
    expect(widget.node.textContent).toContain('No image quality yet.');
  });

  it('gives the patches plugin the choice of the row', () => {
    const row = OVERVIEW.label!.issues[0];
    expect(choiceOf(patchesArgs(row))).toEqual({
      kind: 'objects',
      source: 'ground_truth',
      sort: 'lq_score',
      order: 'asc',
      lqModel: HOSTILE
    });
    expect(choiceOf({})).toBeNull();
  });
});
