/**
 * The sample view's header: its three toolbars, stacked. The move bar
 * (`sampleMoveBar`, with the pan tool's button), the tag bar (tags, the image
 * label, the source toggles, the label types drawn, TP/FP/FN colours) and the
 * edit bar (`SampleEditing.createToolbar`).
 */
import { CommandRegistry } from '@lumino/commands';

import { h } from '../../base/dom';
import { LabelTypeToggles } from '../../model/labels';
import {
  evalColourControl,
  labelTypeControl
} from '../../ui/labels/labelTypeControl';
import {
  OverflowToolbar,
  textButton,
  toolbarItem,
  toolbarSpacer
} from '../../ui/toolbar';
import { SampleEditing } from './SampleEditing';
import { SampleImageLabel } from './sampleImageLabel';
import { sampleMoveBar } from './sampleMoveBar';
import { SampleStage } from './SampleStage';
import { SampleTagging } from './sampleTagging';

/** What the header shows and acts on; the elements the view keeps up to date. */
export interface ISampleHeaderOptions {
  commands: CommandRegistry;
  stage: SampleStage;
  editing: SampleEditing;
  tagging: SampleTagging;
  imageLabel: SampleImageLabel;
  labelTypes: LabelTypeToggles;
  /** The "N of M" text. */
  position: HTMLElement;
  /** The sample's file name. */
  name: HTMLElement;
  /** The source toggles. */
  sources: HTMLElement;
  /** Show the samples most like the one shown; no button without it. */
  moreLikeThis?: () => void;
}

/** The header's element and its toolbars, top first (the view embeds them). */
export interface ISampleHeader {
  node: HTMLDivElement;
  toolbars: OverflowToolbar[];
}

/** The header of the sample view; the pan button follows the editing tool. */
export function sampleHeader(options: ISampleHeaderOptions): ISampleHeader {
  const { stage, editing, labelTypes } = options;
  const pan = textButton({
    label: 'Pan',
    className: 'jp-VisionLens-panTool',
    tooltip: 'Drag to pan (also: middle button, or Shift and drag)',
    onClick: () => editing.setTool(stage.tool === 'pan' ? 'select' : 'pan')
  });
  editing.onTool = tool => {
    pan.pressed = tool === 'pan';
  };
  const moving = sampleMoveBar({
    commands: options.commands,
    position: options.position,
    name: options.name,
    pan,
    fit: () => stage.fit(),
    moreLikeThis: options.moreLikeThis
  });
  const tagging = new OverflowToolbar('jp-VisionLens-sampleTagBar').add(
    ...options.tagging.items(),
    ...options.imageLabel.items(),
    ['spacer', toolbarSpacer()],
    ['sources', toolbarItem('jp-VisionLens-sourcesItem', options.sources)],
    ['label-types', labelTypeControl(labelTypes)],
    ['eval-colours', evalColourControl(labelTypes)]
  );
  const editBar = editing.createToolbar();
  const node = h(
    'div',
    { className: 'jp-VisionLens-gridToolbar' },
    moving.node,
    tagging.node,
    editBar.node
  );
  return { node, toolbars: [moving, tagging, editBar] };
}
