/**
 * How the views run the registry's contributions: each one inside
 * `extensions.invoke`, so that a renderer that throws leaves its own element
 * empty and every other one (and the view) intact.
 */
import { h } from '../base/dom';
import { ISample, IVisionLensModel } from '../model/tokens';

/** Draw every tile overlay for `sample` into `layer` (emptied first). */
export function renderTileOverlays(
  model: IVisionLensModel,
  layer: HTMLElement,
  sample: ISample | null,
  size: number
): void {
  if (layer.firstChild) {
    layer.replaceChildren();
  }
  if (!sample) {
    return;
  }
  const registry = model.extensions;
  for (const overlay of registry.tileOverlays) {
    const element = h('div', { className: 'jp-VisionLens-tileOverlay' });
    element.dataset.overlay = overlay.id;
    layer.appendChild(element);
    const ok = registry.invoke('tileOverlay', overlay, () =>
      overlay.render({ model, sample, element, size })
    );
    if (!ok) {
      element.remove();
    }
  }
}

/**
 * The sample view's extension sections for `sample`: one titled element per
 * registered section; a section whose renderer throws shows that it failed.
 */
export function renderSampleSections(
  model: IVisionLensModel,
  sample: ISample
): HTMLElement[] {
  const registry = model.extensions;
  return registry.sampleViewSections.map(section => {
    const element = h('div', { className: 'jp-VisionLens-sectionBody' });
    const ok = registry.invoke('sampleSection', section, () =>
      section.render({ model, sample, element })
    );
    if (!ok) {
      element.replaceChildren(
        h('div', {
          className: 'jp-VisionLens-sectionError',
          text: `This section (${section.owner}) failed: see the browser console.`
        })
      );
    }
    const node = h(
      'section',
      { className: 'jp-VisionLens-extSection' },
      h('h3', { className: 'jp-VisionLens-sectionTitle', text: section.title }),
      element
    );
    node.dataset.section = section.id;
    return node;
  });
}
