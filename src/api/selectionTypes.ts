/**
 * The shapes of the selection endpoints (`/datasets/{name}/selections`):
 * what to label next, chosen by strategies and stored with its rows. They are
 * the generated wire types (visionlens_jlab/openapi.yaml) under the lab's names.
 */
import type {
  IWireSelection,
  IWireSelectionRequest,
  IWireSelectionRow
} from './wireTypes';

/** The body of `POST /datasets/{name}/selections` (a job). */
export type ISelectionRequest = IWireSelectionRequest;

/** A stored selection; one read by id also has its `rows`. */
export type ISelectionRecord = IWireSelection;

/** A chosen sample: its rank, total score and each strategy's share of it. */
export type ISelectionRow = IWireSelectionRow;
