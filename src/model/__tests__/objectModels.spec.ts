/**
 * The models the object tools offer: every model but those predicting label
 * maps (tests/test_semantic_ingest_server.py checks the formats the server
 * writes for them; tests/test_label_map_formats.py that these are the same).
 */
import { IDatasetInfo } from '../tokens';
import { objectModels } from '../objectModels';

function info(formats: Record<string, string>): IDatasetInfo {
  return {
    id: 1,
    name: 'd',
    format: 'coco',
    source: '/d',
    media_root: '/d',
    created_at: '',
    num_samples: 1,
    num_annotations: 0,
    num_categories: 0,
    models: Object.entries(formats).map(([name, format]) => ({
      name,
      format,
      num_predictions: 1,
      created_at: ''
    }))
  };
}

describe('objectModels', () => {
  it('leaves out the semantic and panoptic models, keeping the order', () => {
    const d = info({
      det: 'coco',
      seg: 'semantic',
      clf: 'classification',
      pan: 'coco-panoptic',
      run: 'model-run'
    });
    expect(objectModels(d)).toEqual(['det', 'clf', 'run']);
  });

  it('offers nothing without a dataset', () => {
    expect(objectModels(null)).toEqual([]);
  });
});
