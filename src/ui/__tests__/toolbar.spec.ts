/**
 * Toolbars in hand-built panels (src/ui/toolbar.ts): an embedded widget is
 * attached, shown, hidden and detached with its owner, as a layout would do,
 * until it is disposed. (The toolbars themselves need a browser's layout:
 * ui-tests/tests/toolbars.spec.ts.)
 */
import { Widget } from '@lumino/widgets';

import { MessageLoop } from '@lumino/messaging';

import { embedWidget, OverflowToolbar } from '../toolbar';

/** A widget whose node the owner places by hand, as the panels do. */
function ownerWith(child: Widget): Widget {
  const owner = new Widget();
  owner.node.append(child.node);
  return owner;
}

describe('embedWidget', () => {
  it('attaches, hides, shows and detaches the child with its owner', () => {
    const child = new Widget();
    const owner = ownerWith(child);
    embedWidget(owner, child);
    expect(child.isAttached).toBe(false);

    Widget.attach(owner, document.body);
    expect(child.isAttached).toBe(true);
    expect(child.isVisible).toBe(true);

    owner.hide();
    expect(child.isVisible).toBe(false);
    owner.show();
    expect(child.isVisible).toBe(true);

    Widget.detach(owner);
    expect(child.isAttached).toBe(false);
    owner.dispose();
  });

  it('attaches a child embedded into an owner already attached', () => {
    const owner = new Widget();
    Widget.attach(owner, document.body);
    const child = new Widget();
    owner.node.append(child.node);
    embedWidget(owner, child);
    expect(child.isAttached).toBe(true);
    owner.dispose();
  });

  it('stops following the owner once the child is disposed', () => {
    const child = new Widget();
    const owner = ownerWith(child);
    embedWidget(owner, child);
    const seen: string[] = [];
    MessageLoop.installMessageHook(child, (_, msg) => {
      seen.push(msg.type);
      return true;
    });
    child.dispose();
    expect(owner.node.contains(child.node)).toBe(false);
    Widget.attach(owner, document.body);
    expect(seen).toEqual([]);
    owner.dispose();
  });
});

describe('OverflowToolbar', () => {
  /** The callbacks of the ResizeObservers made, in order (the bar's, its items'). */
  let observed: (() => void)[] = [];
  const real = (globalThis as { ResizeObserver?: unknown }).ResizeObserver;

  beforeEach(() => {
    observed = [];
    jest.useFakeTimers();
    (globalThis as { ResizeObserver?: unknown }).ResizeObserver = class {
      constructor(callback: () => void) {
        observed.push(callback);
      }
      observe(): void {}
      disconnect(): void {}
    };
  });

  afterEach(() => {
    jest.useRealTimers();
    (globalThis as { ResizeObserver?: unknown }).ResizeObserver = real;
  });

  function at(node: Element, left: number, top: number, width: number): void {
    node.getBoundingClientRect = () =>
      ({
        left,
        top,
        width,
        height: 28,
        right: left + width,
        bottom: top + 28
      }) as DOMRect;
  }

  /** A bar 200 px wide with two items at `second`'s place; the placements it makes. */
  function placements(second: [number, number]): number[] {
    const bar = new OverflowToolbar();
    bar.add(['a', new Widget()], ['b', new Widget()]);
    Widget.attach(bar, document.body);
    Object.defineProperty(bar.node, 'clientWidth', { value: 200 });
    at(bar.node, 0, 0, 200);
    const [a, b] = Array.from(bar.node.children);
    at(a, 0, 0, 150);
    at(b, second[0], second[1], 40);
    const placed: number[] = [];
    MessageLoop.installMessageHook(bar, (_, msg) => {
      if (msg.type === 'resize') {
        placed.push((msg as Widget.ResizeMessage).width);
      }
      return true;
    });
    observed[observed.length - 1](); // an item's size changed
    jest.advanceTimersByTime(10000);
    bar.dispose();
    return placed;
  }

  it('places its items again while they sit on a second row', () => {
    const wrapped = placements([0, 28]); // within the right edge, one row down
    expect(wrapped.length).toBeGreaterThan(1);
    expect(new Set(wrapped)).toEqual(new Set([200]));
  });

  it('leaves items that fit on one row where they are', () => {
    expect(placements([150, 0])).toEqual([]);
  });

  it('places again an item past the right edge', () => {
    expect(placements([170, 0]).length).toBeGreaterThan(1);
  });
});
