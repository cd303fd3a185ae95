/**
 * The frame queue with a hand-driven frame and clock: jobs by key (a newer
 * one replaces a waiting one), run in order within the budget of a frame,
 * at least one per frame, the rest in the next frames.
 */
import { FrameQueue } from '../frameQueue';

function setup(budgetMs: number, jobMs: number) {
  let clock = 0;
  const frames: (() => void)[] = [];
  const queue = new FrameQueue<string>(
    budgetMs,
    run => frames.push(run),
    () => clock
  );
  const ran: string[] = [];
  const job = (name: string) => () => {
    ran.push(name);
    clock += jobMs;
  };
  /** Run the frame that is due; false when none was asked for. */
  const frame = () => {
    const run = frames.shift();
    run?.();
    return run !== undefined;
  };
  return { queue, ran, job, frame, frames };
}

describe('FrameQueue', () => {
  it('runs jobs in order, as many per frame as the budget allows', () => {
    const { queue, ran, job, frame, frames } = setup(6, 2);
    for (const name of ['a', 'b', 'c', 'd', 'e']) {
      queue.put(name, job(name));
    }
    expect(frames).toHaveLength(1); // one frame asked for, not one per job
    expect(ran).toEqual([]); // nothing before the frame
    frame();
    expect(ran).toEqual(['a', 'b', 'c']); // 2 + 2 + 2 ms: the budget is spent
    expect(queue.size).toBe(2);
    frame();
    expect(ran).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(queue.size).toBe(0);
    expect(frame()).toBe(false); // no further frame asked for
  });

  it('runs at least one job per frame however long it takes', () => {
    const { queue, ran, job, frame } = setup(6, 50);
    queue.put('a', job('a'));
    queue.put('b', job('b'));
    frame();
    expect(ran).toEqual(['a']);
    frame();
    expect(ran).toEqual(['a', 'b']);
  });

  it('keeps only the latest job of a key, at the end of the line', () => {
    const { queue, ran, job, frame } = setup(100, 1);
    queue.put('a', job('a1'));
    queue.put('b', job('b'));
    queue.put('a', job('a2'));
    frame();
    expect(ran).toEqual(['b', 'a2']);
  });

  it('drops a cancelled job', () => {
    const { queue, ran, job, frame } = setup(100, 1);
    queue.put('a', job('a'));
    queue.put('b', job('b'));
    queue.cancel('a');
    frame();
    expect(ran).toEqual(['b']);
    queue.cancel('never queued'); // harmless
    expect(frame()).toBe(false);
  });
});
