import { labelKind } from '../../../model/labels';
import { GROUND_TRUTH, IAnnotation } from '../../../model/tokens';
import { ILabelRenderer, ILabelStyle, LabelRenderers } from '../overlay';
import { labelRenderers } from '../registry';
import { shape } from '../../../__tests__/domShape';
import { wireBox } from '../../../__tests__/wireSample';

/** Every label visible, one colour. */
const STYLE: ILabelStyle = {
  isBoxVisible: () => true,
  classColor: () => '#123456'
};

/** A test label: its kind and a name. */
interface ITestLabel {
  kind: string;
  name: string;
}

/** A renderer of `kind` that records what it was given, one circle each. */
function recorder(kind: string, seen: string[]): ILabelRenderer<ITestLabel> {
  return {
    kind,
    draw(overlay, labels) {
      for (const label of labels) {
        seen.push(`${kind}:${label.name}`);
        overlay.appendChild(
          document.createElementNS('http://www.w3.org/2000/svg', 'circle')
        );
      }
      return labels.length;
    }
  };
}

function box(source: string, label: string): IAnnotation {
  return wireBox({
    ann_id: 1,
    source,
    label,
    bbox: [1, 2, 30, 40],
    score: 0.9
  });
}

describe('the label renderer registry', () => {
  it('hands each kind its labels and skips a kind it has no renderer for', () => {
    const seen: string[] = [];
    const renderers = new LabelRenderers<ITestLabel>(
      l => l.kind,
      [recorder('mask', seen), recorder('keypoints', seen)]
    );
    const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
    svg.appendChild(document.createElementNS(svg.namespaceURI, 'rect'));
    const labels = [
      { kind: 'mask', name: 'a' },
      { kind: 'keypoints', name: 'b' },
      { kind: 'hologram', name: 'c' },
      { kind: 'mask', name: 'd' }
    ];
    const drawn = renderers.draw(svg, STYLE, 640, 480, labels, {
      displaySize: 200
    });
    expect(drawn).toBe(3);
    expect(seen).toEqual(['mask:a', 'mask:d', 'keypoints:b']);
    // The overlay was cleared first and fits the image.
    expect(svg.querySelectorAll('rect')).toHaveLength(0);
    expect(svg.querySelectorAll('circle')).toHaveLength(3);
    expect(svg.getAttribute('viewBox')).toBe('0 0 640 480');

    // Without the image's size nothing is drawn.
    expect(
      renderers.draw(svg, STYLE, null, 480, labels, { displaySize: 1 })
    ).toBe(0);
    expect(svg.hasAttribute('viewBox')).toBe(false);
  });

  it('draws the server labels, all boxes, with the box renderer', () => {
    const labels = [box(GROUND_TRUTH, 'cat'), box('model', 'dog')];
    expect(labels.map(labelKind)).toEqual(['box', 'box']);
    expect(labelRenderers.get('box')).toBeDefined();
    const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
    const drawn = labelRenderers.draw(svg, STYLE, 100, 100, labels, {
      displaySize: 100,
      labels: true
    });
    expect(drawn).toBe(2);
    const rects = svg.querySelectorAll('rect');
    expect(rects).toHaveLength(2);
    expect(rects[0].hasAttribute('stroke-dasharray')).toBe(false);
    expect(rects[1].hasAttribute('stroke-dasharray')).toBe(true);
    expect([...svg.querySelectorAll('text')].map(t => t.textContent)).toEqual([
      'cat',
      'dog 0.90'
    ]);
  });

  it('draws into the elements of the last draw what a new overlay shows', () => {
    const svgOf = () =>
      document.createElementNS('http://www.w3.org/2000/svg', 'svg');
    const at = (
      source: string,
      label: string,
      bbox: [number, number, number, number],
      score: number | null
    ): IAnnotation => wireBox({ ann_id: 1, source, label, bbox, score });
    const draws: [IAnnotation[], boolean][] = [
      [
        [
          at(GROUND_TRUTH, 'cat', [1, 2, 30, 40], null),
          at('m', 'dog', [50, 5, 20, 20], 0.5)
        ],
        true
      ],
      [[at('m', 'bird', [3, 3, 10, 10], 0.25)], true],
      [
        [
          at(GROUND_TRUTH, 'a', [0, 0, 5, 5], null),
          at(GROUND_TRUTH, 'b', [9, 9, 5, 5], null)
        ],
        false
      ],
      [
        [
          at('m', 'cow', [7, 7, 50, 50], 0.75),
          at(GROUND_TRUTH, 'cow', [8, 8, 50, 50], null)
        ],
        true
      ]
    ];
    const svg = svgOf();
    for (const [labels, named] of draws) {
      const options = { displaySize: 100, labels: named };
      labelRenderers.draw(svg, STYLE, 100, 100, labels, options);
      const fresh = svgOf();
      labelRenderers.draw(fresh, STYLE, 100, 100, labels, options);
      expect(shape(svg)).toBe(shape(fresh));
    }
    expect([...svg.querySelectorAll('text')].map(t => t.textContent)).toEqual([
      'cow 0.75',
      'cow'
    ]);
  });
});
