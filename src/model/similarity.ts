/**
 * Pure parts of the search and duplicates views: the notebook calls that
 * reproduce what the user sees (the same text the server writes in `code`,
 * see `search/engine.py` and `dedup/job.py` `reproduce_code`), Python reprs
 * of filter JSON, and putting a page of samples in the order of a ranking.
 */
import { DEFAULT_K } from './search';
import { SearchQuery } from './tokens';
import {
  IEmbeddingModel,
  IFilter,
  ISample,
  ISearchResult,
  SearchSource
} from '../api/types';

/** The line a snippet starts with, so that it runs in a fresh notebook. */
export const IMPORT_LINE = 'import visionlens_jlab as vl';

/** What an uploaded or pasted query image becomes in the notebook call. */
export const IMAGE_PLACEHOLDER = 'path/to/query.jpg';

/** Python's `repr` of a string (the quote Python picks, its escapes). */
export function pyString(text: string): string {
  const quote = text.includes("'") && !text.includes('"') ? '"' : "'";
  let out = quote;
  for (const ch of text) {
    const code = ch.codePointAt(0) as number;
    if (ch === '\\' || ch === quote) {
      out += `\\${ch}`;
    } else if (ch === '\n') {
      out += '\\n';
    } else if (ch === '\r') {
      out += '\\r';
    } else if (ch === '\t') {
      out += '\\t';
    } else if (code < 0x20 || (code >= 0x7f && code < 0xa0)) {
      out += `\\x${code.toString(16).padStart(2, '0')}`;
    } else {
      out += ch;
    }
  }
  return out + quote;
}

/**
 * Python's `repr` of a JSON number as the server reads it: integers stay
 * integers (JSON has no `1.0`), floats take Python's exponent rule.
 */
export function pyNumber(value: number): string {
  if (!Number.isFinite(value)) {
    throw new Error(`${value} has no JSON form`);
  }
  if (Number.isInteger(value) && Math.abs(value) < 2 ** 53) {
    return String(value);
  }
  const exp = Math.floor(Math.log10(Math.abs(value)));
  if (exp < -4 || exp >= 16) {
    const [mantissa, power] = value.toExponential().split('e');
    const sign = power.startsWith('-') ? '-' : '+';
    return `${mantissa}e${sign}${power.replace(/^[+-]/, '').padStart(2, '0')}`;
  }
  return String(value);
}

/** A float parameter as Python prints a float (`1` is `1.0`). */
export function pyFloat(value: number): string {
  const text = pyNumber(value);
  return /[.e]/.test(text) ? text : `${text}.0`;
}

/** Python's `repr` of parsed JSON (dict, list, str, int/float, bool, None). */
export function pyRepr(value: unknown): string {
  if (value === null || value === undefined) {
    return 'None';
  }
  if (typeof value === 'boolean') {
    return value ? 'True' : 'False';
  }
  if (typeof value === 'number') {
    return pyNumber(value);
  }
  if (typeof value === 'string') {
    return pyString(value);
  }
  if (Array.isArray(value)) {
    return `[${value.map(pyRepr).join(', ')}]`;
  }
  const entries = Object.entries(value as { [key: string]: unknown }).filter(
    ([, v]) => v !== undefined
  );
  return `{${entries.map(([k, v]) => `${pyString(k)}: ${pyRepr(v)}`).join(', ')}}`;
}

/** Whether a filter restricts anything (`{}` and empty parts do not). */
export function hasFilter(filter: IFilter | undefined | null): boolean {
  return !!filter && Object.keys(filter).length > 0;
}

/** `vl.dataset(...).search(...)` reproducing a search of the grid. */
export function searchCode(
  dataset: string,
  query: SearchQuery,
  filter: IFilter | undefined | null,
  k: number = query.k ?? DEFAULT_K
): string {
  const args: string[] = [];
  if (query.like !== undefined && query.like !== null) {
    args.push(`like=${query.like}`);
  } else if (query.text !== undefined && query.text !== null) {
    args.push(`text=${pyString(query.text)}`);
  } else {
    args.push(`like=${pyString(IMAGE_PLACEHOLDER)}`);
  }
  if (hasFilter(filter)) {
    args.push(`filter=${pyRepr(filter)}`);
  }
  if (k !== DEFAULT_K) {
    args.push(`k=${k}`);
  }
  if (query.model) {
    args.push(`model=${pyString(query.model)}`);
  }
  return `vl.dataset(${pyString(dataset)}).search(${args.join(', ')})`;
}

/** `vl.dataset(...).duplicates(...)` reproducing a duplicates run. */
export function duplicatesCode(
  dataset: string,
  threshold: number,
  exact = false,
  model?: string | null
): string {
  const args = [`threshold=${pyFloat(threshold)}`];
  if (exact) {
    args.push('exact=True');
  }
  if (model) {
    args.push(`model=${pyString(model)}`);
  }
  return `vl.dataset(${pyString(dataset)}).duplicates(${args.join(', ')})`;
}

/** A snippet that runs as it is in a notebook: the import, then the call. */
export function snippet(code: string): string {
  return `${IMPORT_LINE}\n${code}`;
}

/**
 * `samples` (any order, e.g. a page fetched by id) in the order of `ranking`;
 * null where a ranked id did not come back (deleted since the search).
 */
export function orderByRanking(
  ranking: readonly number[],
  samples: readonly ISample[]
): (ISample | null)[] {
  const byId = new Map(samples.map(s => [s.sample_id, s]));
  return ranking.map(id => byId.get(id) ?? null);
}

/**
 * How a chip names a search, as a phrase of its own: the sample the results
 * are like, the text they match, or an uploaded image.
 */
export function describeQuery(query: SearchQuery): string {
  if (query.like !== undefined && query.like !== null) {
    return `Similar to sample ${query.like}`;
  }
  if (query.text !== undefined && query.text !== null) {
    return `Matching “${query.text}”`;
  }
  return 'Similar to the uploaded image';
}

/** A similarity score as tiles show it. */
export function fmtScore(score: number): string {
  return score.toFixed(3);
}

/** The rankings that found a result, in words ("CLIP + caption"); null without. */
export function sourcesLabel(
  sources: readonly SearchSource[] | undefined
): string | null {
  if (!sources || sources.length === 0) {
    return null;
  }
  return sources.map(s => (s === 'clip' ? 'CLIP' : 'caption')).join(' + ');
}

/**
 * The search status of an answer: its count and model, and for a text search
 * fused with captions, what answered and how many results both rankings hold.
 */
export function describeResult(result: ISearchResult): string {
  const n = result.results.length;
  const count = `${n.toLocaleString('en-US')} result${n === 1 ? '' : 's'}`;
  const fusion = result.fusion;
  if (!fusion) {
    return `${count} · ${result.model ?? ''}`;
  }
  if (fusion.clip_error !== null || result.model === null) {
    return `${count} · captions only`;
  }
  const both = result.results.filter(r => (r.sources ?? []).length > 1).length;
  return `${count} · ${result.model} + captions (rank fusion, ${both.toLocaleString('en-US')} in both)`;
}

/**
 * Said after a refused text search: the models with text search that this
 * machine has, from `GET /models` as the embed dialog lists them, so that the
 * search row never suggests a model whose weights are not here.
 */
export function textModelsHint(models: readonly IEmbeddingModel[]): string {
  const names = [
    ...new Set(
      models.filter(m => m.text && m.available_offline).map(m => m.name)
    )
  ];
  return names.length
    ? `Models with text search on this machine: ${names.join(', ')} (Embed… computes their vectors).`
    : 'No model with text search is on this machine (Embed… lists the models here).';
}
