/**
 * The `frames` option of the jobs that read a dataset of videos (export:
 * `labelled`, `all`, `every:K`; embeddings and predictions: `all`,
 * `every:K`, `fps:R`, `scenes[:T]`), made from a choice and the number typed
 * beside it, checked as the server checks it (docs/video.md).
 */

/** A way of picking frames; `labelled` is export's only, `fps` and `scenes` the model jobs'. */
export type FrameMode = 'labelled' | 'all' | 'every' | 'fps' | 'scenes';

/** Whether `mode` takes the number typed beside it. */
export function takesNumber(mode: FrameMode): boolean {
  return mode === 'every' || mode === 'fps' || mode === 'scenes';
}

/**
 * The server's `frames` option of `mode` and the number `typed` for it;
 * throws an Error saying what to type when the number cannot be one:
 * K a whole number ≥ 1, R a number > 0, T (optional) a number ≥ 0.
 */
export function framesOption(mode: FrameMode, typed: string): string {
  const text = typed.trim();
  const value = Number(text);
  switch (mode) {
    case 'labelled':
    case 'all':
      return mode;
    case 'every':
      if (text === '' || !Number.isInteger(value) || value < 1) {
        throw new Error('Every K-th frame: K is a whole number, 1 or more.');
      }
      return `every:${value}`;
    case 'fps':
      if (text === '' || !Number.isFinite(value) || value <= 0) {
        throw new Error('Frames per second: R is a number above 0.');
      }
      return `fps:${value}`;
    case 'scenes':
      if (text === '') {
        return 'scenes';
      }
      if (!Number.isFinite(value) || value < 0) {
        throw new Error(
          'Scene starts: the threshold T is a number, 0 or more (empty: 30).'
        );
      }
      return `scenes:${value}`;
  }
}
