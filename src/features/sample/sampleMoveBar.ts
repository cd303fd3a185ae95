/**
 * The sample view's first toolbar: previous / next, the sample's place in
 * the view, "More like this", pan, fit and the sample's name. Items go to
 * the "…" menu from the end: the least used last.
 */
import { CommandRegistry } from '@lumino/commands';
import { Widget } from '@lumino/widgets';

import { CommandIDs } from '../../model/tokens';
import {
  commandButton,
  OverflowToolbar,
  textButton,
  toolbarItem,
  toolbarSpacer
} from '../../ui/toolbar';

/** What the move bar shows and what its buttons do. */
export interface ISampleMoveBarOptions {
  commands: CommandRegistry;
  /** The "N of M" text, kept up to date by the view. */
  position: HTMLElement;
  /** The sample's file name, kept up to date by the view. */
  name: HTMLElement;
  /** The pan tool's button (its pressed state follows the editing tool). */
  pan: Widget;
  /** Fit the image to the stage. */
  fit: () => void;
  /** Show the samples most like the one shown; no button without it. */
  moreLikeThis?: () => void;
}

/** The move bar of the sample view. */
export function sampleMoveBar(options: ISampleMoveBarOptions): OverflowToolbar {
  const { commands, moreLikeThis } = options;
  const similar: [string, Widget][] = moreLikeThis
    ? [
        [
          'similar',
          textButton({
            label: 'More like this',
            className: 'jp-VisionLens-moreLikeThis',
            tooltip: 'Show the samples most similar to this one',
            onClick: moreLikeThis
          })
        ]
      ]
    : [];
  return new OverflowToolbar('jp-VisionLens-sampleMoveBar').add(
    [
      'previous',
      commandButton(commands, CommandIDs.samplePrevious, {
        label: '◀ Prev',
        className: 'jp-VisionLens-prev'
      })
    ],
    [
      'next',
      commandButton(commands, CommandIDs.sampleNext, {
        label: 'Next ▶',
        className: 'jp-VisionLens-next'
      })
    ],
    ['position', toolbarItem('jp-VisionLens-positionItem', options.position)],
    ['spacer', toolbarSpacer()],
    ...similar,
    ['pan', options.pan],
    [
      'fit',
      textButton({
        label: 'Fit',
        className: 'jp-VisionLens-fit',
        tooltip: 'Fit the image to the view',
        onClick: options.fit
      })
    ],
    ['name', toolbarItem('jp-VisionLens-sampleNameItem', options.name)]
  );
}
