/**
 * What the quality view says: its scores are disagreements between the
 * ground truth and one model's predictions, not established label errors
 * (the model has its own confusions and misses). The headline counts
 * "possible label issues (disagreements with M)", the run's parameters say
 * how the scores are computed, and each issue type and its worst example are
 * phrased as what the model says against what the label says. Every string
 * here is plain text (class and model names are dataset text): callers set
 * it as text, never as HTML.
 */
import { fmtInt } from '../base/dom';
import { IPatch } from '../api/patchTypes';
import {
  IClassLabelQualityView,
  ILabelQualityView,
  ISemanticLabelQualityView
} from '../api/qualityTypes';

/** A stored label-quality run of any kind of model. */
type LabelRun =
  ILabelQualityView | IClassLabelQualityView | ISemanticLabelQualityView;

/** Issue types as disagreements, in the words of a row's title. */
const TITLES: { [issue: string]: string } = {
  overlooked: 'Detected, not labelled',
  swapped: 'Labelled as another class',
  badly_located: 'Box placed differently',
  spurious: 'Labelled, not detected',
  mislabeled: 'Labelled as another class',
  mislabeled_region: 'Regions predicted as another class'
};

/** What each issue type means, given the model's name. */
const MEANINGS: { [issue: string]: (model: string) => string } = {
  overlooked: m =>
    `${m} confidently predicts an object that no label covers (a missing label, or a false detection)`,
  swapped: m =>
    `${m} confidently predicts another class on the labelled box (a wrong class, or the model's confusion)`,
  badly_located: m =>
    `${m}'s best prediction of the label's class overlaps its box only partly (a loose box, or the model's)`,
  spurious: m =>
    `${m} predicts nothing, or little, where the label is (a spurious label, or the model's miss)`,
  mislabeled: m =>
    `${m} gives another class a higher probability than the image's label`,
  mislabeled_region: m =>
    `${m} predicts another class on most of the region's pixels (a wrong label, or the model's confusion)`
};

/** An issue type as a row title: `swapped` is "Labelled as another class". */
export function issueTitle(issue: string): string {
  const known = TITLES[issue];
  if (known) {
    return known;
  }
  const words = issue.replace(/_/g, ' ');
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** What an issue type means as a disagreement with `model` (a row's tooltip). */
export function issueMeaning(issue: string, model: string): string {
  return MEANINGS[issue]?.(model) ?? issueTitle(issue);
}

/** A score or IoU as the view writes it: two decimals. */
export function fmtScore(value: number | null | undefined): string {
  return typeof value === 'number' ? value.toFixed(2) : '?';
}

/** The headline: "5,456 possible label issues (disagreements with M)". */
export function labelHeadline(label: LabelRun): string {
  const total = label.issues.reduce((sum, row) => sum + row.count, 0);
  const noun = total === 1 ? 'issue' : 'issues';
  return `${fmtInt(total)} possible label ${noun} (disagreements with ${label.model})`;
}

/** How the run's scores were computed: what was compared, the score, the thresholds. */
export function labelRunParams(label: LabelRun): string {
  const m = label.model;
  if (label.kind === 'semantic') {
    return (
      `${fmtInt(label.images)} label maps compared with ${m}'s masks: a region ` +
      `(connected pixels of one class) is flagged when ${m} gives most of its ` +
      `pixels another class; worst first by the share ${m} agrees with.`
    );
  }
  if (label.kind === 'classification') {
    return (
      `${fmtInt(label.images)} image labels compared with ${m}'s class probabilities; ` +
      `worst first by ${m}'s probability of the label.`
    );
  }
  const limits = Object.entries(label.thresholds)
    .map(([issue, limit]) => `${issueTitle(issue).toLowerCase()} < ${limit}`)
    .join(', ');
  return (
    `${fmtInt(label.objects)} labels and predictions compared with ${m}: each gets a ` +
    `score from 0 to 1, lower the more confidently ${m}'s predictions contradict it; ` +
    `flagged below ${limits || 'the default thresholds'}.`
  );
}

/**
 * The worst example of a row as a disagreement: for a label, what the model
 * says against it ("M says 'square' (0.93) where the label says 'diamond'");
 * for an overlooked prediction, what it says where no label is.
 */
export function exampleSentence(
  issue: string,
  model: string,
  patch: IPatch
): string {
  const m = patch.match ?? null;
  const said = m ? `'${m.label}' (${fmtScore(m.score)})` : '';
  const label = `'${patch.label}'`;
  switch (issue) {
    case 'overlooked':
      return (
        `${model} says '${patch.label}' (${fmtScore(patch.score)}) where no label is` +
        (m
          ? `; the nearest label, '${m.label}', overlaps at IoU ${fmtScore(m.iou)}`
          : '')
      );
    case 'swapped':
      return m
        ? `${model} says ${said} where the label says ${label}`
        : `${model} disagrees with the label ${label}`;
    case 'badly_located':
      return m
        ? `${model}'s ${said} overlaps the label ${label} at IoU ${fmtScore(m.iou)} only`
        : `${model} places the label ${label} elsewhere`;
    case 'spurious':
      return m
        ? `${model} sees little where the label says ${label}: its best is ${said}, IoU ${fmtScore(m.iou)}`
        : `${model} predicts nothing where the label says ${label}`;
    default:
      return m
        ? `${model} says ${said} where the label says ${label}`
        : `${model} disagrees with the label ${label}`;
  }
}
