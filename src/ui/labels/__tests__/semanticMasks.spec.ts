/**
 * The sample view's semantic mask layer: one picture per source with a mask,
 * replaced only when the sample's masks change, each shown while masks are
 * shown and its source is.
 */
import { SemanticMasks } from '../semanticMasks';

function shownSources(layer: SemanticMasks): string[] {
  return [...layer.node.querySelectorAll('img')]
    .filter(img => !img.hidden)
    .map(img => img.dataset.source ?? '');
}

describe('the semantic mask layer', () => {
  it('lays one picture per source and keeps them while the sample is the same', () => {
    const layer = new SemanticMasks();
    layer.show([
      { source: 'ground_truth', url: 'u/gt' },
      { source: 'net', url: 'u/net' }
    ]);
    const first = layer.node.querySelector('img');
    expect([...layer.node.querySelectorAll('img')].map(i => i.src)).toEqual([
      expect.stringContaining('u/gt'),
      expect.stringContaining('u/net')
    ]);
    layer.show([
      { source: 'ground_truth', url: 'u/gt' },
      { source: 'net', url: 'u/net' }
    ]);
    expect(layer.node.querySelector('img')).toBe(first); // not loaded again
    layer.show([]);
    expect(layer.node.querySelectorAll('img')).toHaveLength(0);
  });

  it('shows a source while masks are shown and the source is', () => {
    const layer = new SemanticMasks();
    layer.show([
      { source: 'ground_truth', url: 'u/gt' },
      { source: 'net', url: 'u/net' }
    ]);
    layer.update(true, () => true);
    expect(shownSources(layer)).toEqual(['ground_truth', 'net']);
    layer.update(true, source => source !== 'net');
    expect(shownSources(layer)).toEqual(['ground_truth']);
    layer.update(false, () => true);
    expect(shownSources(layer)).toEqual([]);
  });
});
