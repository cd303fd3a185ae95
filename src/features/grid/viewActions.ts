/**
 * The grid toolbar's actions on what it shows: export the view, a new dataset
 * from it, merge another dataset into this one, delete its labels. Each runs
 * its command (palette and toolbar share them); the toolbar's "…" menu takes
 * those that do not fit.
 */
import { CommandRegistry } from '@lumino/commands';
import { Widget } from '@lumino/widgets';

import { CommandIDs } from '../../model/tokens';
import { commandButton } from '../../ui/toolbar';

/** The actions as toolbar entries (name, button), in toolbar order. */
export function viewActionItems(
  commands: CommandRegistry
): [name: string, item: Widget][] {
  const actions: [string, string, string, string][] = [
    ['export', CommandIDs.exportView, 'Export…', 'jp-VisionLens-exportView'],
    [
      'subset',
      CommandIDs.subsetView,
      'New dataset from view…',
      'jp-VisionLens-subsetView'
    ],
    [
      'merge',
      CommandIDs.mergeInto,
      'Merge another dataset…',
      'jp-VisionLens-mergeInto'
    ],
    [
      'delete-labels',
      CommandIDs.deleteViewLabels,
      'Delete labels…',
      'jp-VisionLens-deleteViewLabels'
    ]
  ];
  return actions.map(([name, id, label, className]) => [
    name,
    commandButton(commands, id, { label, className })
  ]);
}
