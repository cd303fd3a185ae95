/**
 * The ingest form's last line says "Done" only when the job's report is
 * clean, and names what went wrong otherwise (issue 32 item 4).
 */
import { ingestStatus } from '../ingestStatus';
import { IIngestSummary } from '../../../api/interfaces';

function summary(over: Partial<IIngestSummary> = {}): IIngestSummary {
  return {
    dataset: 'x',
    samples: 120,
    annotations: 480,
    categories: 3,
    predictions: 0,
    warnings: [],
    errors: [],
    ...over
  };
}

const NOT_FOUND = {
  code: 'images_not_found',
  message:
    '120 of the first 120 images were not found under /data; pass images= (--images) with the folder that holds them',
  count: 1,
  examples: ['/data']
};

describe('ingestStatus', () => {
  it('says Done with the counts when the report is clean', () => {
    expect(ingestStatus({ kind: 'dataset', name: 'x' }, summary())).toEqual({
      level: 'done',
      text: "Done: 'x' (120 samples, 480 labels)"
    });
  });

  it('warns in words when no image was found', () => {
    const status = ingestStatus(
      { kind: 'dataset', name: 'x' },
      summary({ warnings: [NOT_FOUND] })
    );
    expect(status.level).toBe('warning');
    expect(status.text).toBe(
      `Ingested 'x' with warnings: ${NOT_FOUND.message}. See its report.`
    );
    expect(status.text).not.toMatch(/Done/);
  });

  it('names dropped records with their counts, errors first', () => {
    const status = ingestStatus(
      { kind: 'dataset', name: 'x' },
      summary({
        warnings: [
          {
            code: 'coco_unknown_image',
            message:
              "annotation for an image id that is not in 'images': skipped",
            count: 3
          }
        ],
        errors: [
          {
            code: 'coco_bad_bbox',
            message: 'bbox with negative width/height: skipped',
            count: 1200
          }
        ]
      })
    );
    expect(status).toEqual({
      level: 'warning',
      text:
        "Ingested 'x' with warnings: 1,200 × bbox with negative width/height: skipped; " +
        "3 × annotation for an image id that is not in 'images': skipped. See its report."
    });
  });

  it('names three rows and counts the rest', () => {
    const rows = ['a', 'b', 'c', 'd', 'e'].map(code => ({
      code,
      message: `${code} skipped`,
      count: 2
    }));
    expect(
      ingestStatus({ kind: 'dataset', name: 'x' }, summary({ warnings: rows }))
        .text
    ).toBe(
      "Ingested 'x' with warnings: 2 × a skipped; 2 × b skipped; 2 × c skipped; and 2 more. See its report."
    );
  });

  it('keeps Done for minor notes (defaulted values) but counts them', () => {
    const status = ingestStatus(
      { kind: 'dataset', name: 'x' },
      summary({
        warnings: [
          {
            code: 'coco_missing_iscrowd',
            message: "annotation without 'iscrowd': taken as 0",
            count: 480
          }
        ]
      })
    );
    expect(status).toEqual({
      level: 'done',
      text: "Done: 'x' (120 samples, 480 labels, 1 note in its report)"
    });
  });

  it('speaks of predictions for a predictions import', () => {
    const target = {
      kind: 'predictions' as const,
      dataset: 'x',
      model: 'yolo'
    };
    expect(ingestStatus(target, summary({ predictions: 1 }))).toEqual({
      level: 'done',
      text: "Done: predictions of 'yolo' on 'x' (1 prediction)"
    });
    expect(
      ingestStatus(
        target,
        summary({
          warnings: [
            {
              code: 'prediction_unknown_image',
              message:
                'predictions for images that are not in the dataset were skipped',
              count: 40
            }
          ]
        })
      ).text
    ).toBe(
      "Added predictions of 'yolo' on 'x' with warnings: 40 × predictions for images that are not in the dataset were skipped. See its report."
    );
  });

  it('says Done without counts when the server sent no result', () => {
    expect(ingestStatus({ kind: 'dataset', name: 'x' }, null)).toEqual({
      level: 'done',
      text: "Done: 'x'"
    });
  });
});
