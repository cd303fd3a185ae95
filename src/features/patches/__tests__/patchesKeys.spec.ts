/**
 * The selection keys in the patches view: the grid's commands act on the
 * grid holding the focus, and Accel A and T too. In the patches grid, T
 * opens the patches' own tag input (not the samples' tag dialog) and Accel A
 * selects nothing (no samples; all the objects of a query are no selection
 * the server can share); elsewhere they act on the samples as before.
 */
import { JupyterFrontEnd } from '@jupyterlab/application';
import { CommandRegistry } from '@lumino/commands';
import { Signal } from '@lumino/signaling';

import { PatchesModel } from '../../../model/patches';
import {
  CommandIDs,
  IPatch,
  IPatchesPage,
  IVisionLensModel
} from '../../../model/tokens';
import { selectAllMatching } from '../../core/plugin';
import { gridPlugin } from '../../grid/plugin';
import { PatchesWidget } from '../PatchesWidget';
import { frame, patchObject, patchTiles, showPatches } from './showPatches';

const object = (annId: number): IPatch => patchObject(annId);

/** A model of two objects that counts its select-alls and tag writes. */
function fakeModel(calls: string[]): IVisionLensModel {
  return {
    dataset: 'd',
    datasets: [],
    filter: {},
    currentInfo: { models: [] },
    dataChanged: new Signal<unknown, unknown>({}),
    filterChanged: new Signal<unknown, unknown>({}),
    selectionChanged: new Signal<unknown, unknown>({}),
    datasetChanged: new Signal<unknown, unknown>({}),
    selectionRevealRequested: new Signal<unknown, unknown>({}),
    setSelection: () => undefined,
    selectAllMatching: () => calls.push('select all samples'),
    classColor: () => '#00aa00',
    client: {
      listEvaluations: async () => [],
      queryPatches: async (): Promise<IPatchesPage> => ({
        total: 2,
        offset: 0,
        limit: 60,
        kind: 'objects',
        source: 'ground_truth',
        lq_model: null,
        version: null,
        evaluation: null,
        objects: [object(1), object(2)]
      }),
      patchSamples: async (_: string, ids: number[]) => ids.map(i => i * 10),
      cropUrl: (_: string, annId: number) => `/crop/${annId}`,
      getDataset: async () => ({ categories: ['cat'] })
    }
  } as unknown as IVisionLensModel;
}

/** The grid plugin's commands, on a registry of their own. */
function gridCommands(model: IVisionLensModel, calls: string[]) {
  const commands = new CommandRegistry();
  commands.addCommand(CommandIDs.tagSelected, {
    execute: args => calls.push(`tag samples ${args.tag}`)
  });
  const app = {
    commands,
    contextMenu: { addItem: () => undefined },
    contextMenuHitTest: () => undefined
  } as unknown as JupyterFrontEnd;
  gridPlugin.activate(app, model, null, null, null, null);
  return commands;
}

describe('the selection keys in the patches view', () => {
  it('T opens the tag input of the selected objects, not the samples’ dialog', async () => {
    const calls: string[] = [];
    const model = fakeModel(calls);
    const commands = gridCommands(model, calls);
    const widget = new PatchesWidget(new PatchesModel(model), () => undefined);
    await showPatches(widget);
    const edits = widget.node.querySelector(
      '.jp-VisionLens-patchesEdits'
    ) as HTMLElement;
    const input = edits.querySelector(
      '.jp-VisionLens-patchesTagInput'
    ) as HTMLInputElement;

    widget.grid.node.focus();
    await commands.execute(CommandIDs.gridTag);
    expect(document.querySelector('.jp-Dialog')).toBeNull();
    expect(edits.hidden).toBe(false);
    expect(
      edits.querySelector('.jp-VisionLens-patchesEditMessage')!.textContent
    ).toBe('Select objects to tag first.');
    expect(document.activeElement).not.toBe(input);

    patchTiles(widget)[1].click();
    await frame();
    patchTiles(widget)[1].focus(); // a tile of the grid holds the focus
    await commands.execute(CommandIDs.gridTag);
    expect(document.querySelector('.jp-Dialog')).toBeNull();
    expect(document.activeElement).toBe(input);
    expect(
      edits.querySelector('.jp-VisionLens-patchesEditMessage')!.textContent
    ).toBe('');
    expect(calls).toEqual([]);
    widget.dispose();
  });

  it('Accel A selects no samples while the patches grid holds the focus', async () => {
    const calls: string[] = [];
    const model = fakeModel(calls);
    const widget = new PatchesWidget(new PatchesModel(model), () => undefined);
    await showPatches(widget);
    widget.grid.node.focus();
    selectAllMatching(model);
    expect(calls).toEqual([]);
    expect(widget.patches.selected.size).toBe(0);
    // the toolbar's button, the palette: the samples, as before
    (document.activeElement as HTMLElement).blur();
    selectAllMatching(model);
    expect(calls).toEqual(['select all samples']);
    widget.dispose();
  });
});
