import { CommandRegistry } from '@lumino/commands';
import { ServerConnection } from '@jupyterlab/services';

import { VisionLensClient } from '../../../api/client';
import { VisionLensModel } from '../../../model/model';
import { CommandIDs, ISample } from '../../../model/tokens';
import { GridFocus } from '../gridFocus';

function setup(total: number, columns: number) {
  const model = new VisionLensModel({
    client: new VisionLensClient(ServerConnection.makeSettings())
  });
  model.setDataset('d');
  const commands = new CommandRegistry();
  const opened: unknown[] = [];
  commands.addCommand(CommandIDs.openSample, {
    execute: args => {
      opened.push(args);
    }
  });
  const revealed: number[] = [];
  const scroller = document.createElement('div');
  const focus = new GridFocus({
    model,
    commands,
    scroller,
    rows: { columns, reveal: index => revealed.push(index) },
    pages: {
      total,
      get: index => ({ sample_id: 100 + index }) as ISample
    },
    render: () => undefined
  });
  return { model, focus, revealed, opened, scroller };
}

describe('the grid keyboard focus', () => {
  it('moves by tiles and rows within the rows, showing the tile', () => {
    const { focus, revealed } = setup(10, 4);
    focus.move(1, 0);
    expect(focus.index).toBe(1);
    focus.move(0, 1);
    expect(focus.index).toBe(5);
    focus.move(0, 1);
    expect(focus.index).toBe(9); // the last tile, not past it
    focus.move(-1, -5);
    expect(focus.index).toBe(0);
    expect(revealed).toEqual([1, 5, 9, 0]);
  });

  it('makes only the focused tile tabbable and focuses it once rendered', () => {
    const { focus, scroller } = setup(10, 4);
    const tiles = [0, 1].map(i => {
      const el = document.createElement('div');
      el.className = 'jp-VisionLens-tile';
      el.dataset.index = String(i);
      scroller.append(el);
      return el;
    });
    document.body.append(scroller);
    focus.move(1, 0);
    tiles.forEach((el, i) => focus.mark(el, i));
    focus.afterRender();
    expect(tiles.map(el => el.tabIndex)).toEqual([-1, 0]);
    expect(document.activeElement).toBe(tiles[1]);
    scroller.remove();
  });

  it('toggles and opens the focused sample', async () => {
    const { model, focus, opened } = setup(10, 4);
    focus.set(3);
    focus.toggle();
    expect(model.isSelected(103)).toBe(true);
    focus.toggle();
    expect(model.isSelected(103)).toBe(false);
    await focus.open();
    expect(opened).toEqual([{ dataset: 'd', sampleId: 103, index: 3 }]);
  });
});
