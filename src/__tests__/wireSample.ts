/**
 * A sample and its objects as the server sends them (every required field of
 * `ISample` and `IAnnotation`, the generated wire types), with a test's own
 * fields over quiet defaults.
 */
import { IAnnotation, ISample } from '../api/types';

/** A sample without labels, tags or fields, with `fields` over it. */
export function wireSample(
  fields: Partial<ISample> & Pick<ISample, 'sample_id'>
): ISample {
  return {
    file_name: `${fields.sample_id}.jpg`,
    width: 640,
    height: 480,
    split: null,
    source_image_id: null,
    tags: [],
    fields: {},
    annotations: [],
    classifications: [],
    computed: {},
    ...fields
  };
}

/** A ground-truth-like object (not crowd, not difficult), with `fields` over it. */
export function wireBox(
  fields: Partial<IAnnotation> &
    Pick<IAnnotation, 'ann_id' | 'source' | 'label' | 'bbox'>
): IAnnotation {
  return { score: null, iscrowd: false, difficult: false, ...fields };
}
