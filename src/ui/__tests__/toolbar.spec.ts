/**
 * Toolbars in hand-built panels (src/ui/toolbar.ts): an embedded widget is
 * attached, shown, hidden and detached with its owner, as a layout would do,
 * until it is disposed. (The toolbars themselves need a browser's layout:
 * ui-tests/tests/toolbars.spec.ts.)
 */
import { Widget } from '@lumino/widgets';

import { MessageLoop } from '@lumino/messaging';

import { embedWidget } from '../toolbar';

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
