/**
 * The map toolbar's job label: the stage of a running UMAP / t-SNE job shows
 * once, with what its message adds (the server repeats the stage in it).
 */
import { IJob } from '../../../model/tokens';
import { MapToolbar } from '../MapToolbar';
import { MAP_DEFAULTS } from '../settings';
import { wireJob } from '../../../__tests__/wireJob';

function running(extra: Partial<IJob>): IJob {
  return wireJob({ id: 'j1', kind: 'map', status: 'running', ...extra });
}

function label(job: IJob): string {
  const noop = () => undefined;
  const toolbar = new MapToolbar(MAP_DEFAULTS, {
    method: noop,
    color: noop,
    redraw: noop,
    tool: noop,
    fitAll: noop,
    fitSelection: noop,
    cancel: noop
  });
  toolbar.jobStatus('umap', job);
  return toolbar.node.querySelector('.jp-VisionLens-mapStatus')!.textContent!;
}

describe('map toolbar job label', () => {
  it('shows a stage without a count once', () => {
    // As the server reports `ctx.stage("layout", fraction=0.4)`.
    const text = label(
      running({ stage: 'layout', progress: 0.4, message: 'layout' })
    );
    expect(text).toBe('UMAP: layout · 40%');
    expect(text.split('layout').length - 1).toBe(1);
  });

  it('shows a counted stage once, with its count', () => {
    // As `ctx.items("neighbours", 3, 10, "neighbours: 3 of 10")` reports it.
    const text = label(
      running({
        stage: 'neighbours',
        progress: 0.3,
        items_per_second: 2,
        eta_seconds: 4,
        message: 'neighbours: 3 of 10'
      })
    );
    expect(text).toBe('UMAP: neighbours · 30% · 2.0/s · ETA 4 s · 3 of 10');
  });

  it('keeps a message that says more than the stage', () => {
    expect(
      label(running({ stage: 'loading', message: 'loading vectors' }))
    ).toBe('UMAP: loading · loading vectors');
    expect(label(running({ message: 'starting' }))).toBe('UMAP: starting');
  });
});
