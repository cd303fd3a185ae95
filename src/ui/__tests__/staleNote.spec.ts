/**
 * The stale note's words: the server's reason when it gives one, a general
 * one when it does not (a result stored before reasons were), nothing for a
 * fresh result or an unknown staleness (a map whose vector store is away).
 */
import { staleNote, staleText } from '../staleNote';

describe('staleText', () => {
  it('says the reason of a stale result, and nothing of a fresh one', () => {
    expect(
      staleText({
        stale: true,
        stale_reason: '2 samples added since it was computed'
      })
    ).toBe('Stale — recompute: 2 samples added since it was computed.');
    expect(staleText({ stale: true, stale_reason: null })).toBe(
      'Stale — recompute: the dataset changed since it was computed.'
    );
    expect(staleText({ stale: false, stale_reason: null })).toBeNull();
    expect(staleText({ stale: null })).toBeNull();
    expect(staleText(null)).toBeNull();
  });

  it('is a status element whose reason is text', () => {
    const note = staleNote({ stale: true, stale_reason: '<b>x</b>' });
    expect(note?.getAttribute('role')).toBe('status');
    expect(note?.querySelector('b')).toBeNull();
    expect(note?.textContent).toBe('Stale — recompute: <b>x</b>.');
    expect(staleNote({ stale: false })).toBeNull();
  });
});
