/**
 * The folders of `src/` are layers, each importing only downward:
 *
 *   base  <  api  <  model  <  ui  <  features/<feature>  <  index.ts
 *
 * `base` holds pure helpers, `api` the REST client and wire types, `model`
 * the shared state and the data sources that call the API, `ui` reusable
 * widgets, and each `features/<feature>` one panel with its plugin. A feature
 * imports no other feature, only `ui`, `model`, `api` and `base` reach the
 * server (and only `api` and `model` call the client), and nothing imports in
 * a cycle. Tests (`__tests__`) are harnesses and may import anything.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as ts from 'typescript';

const SRC = path.resolve(__dirname, '..');

const RANK: { [layer: string]: number } = {
  base: 0,
  api: 1,
  model: 2,
  ui: 3,
  features: 4,
  'index.ts': 5
};

/** Every source file of `src/` (tests left out), as a path relative to it. */
function sources(dir = SRC): string[] {
  const found: string[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name !== '__tests__') {
        found.push(...sources(full));
      }
    } else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) {
      found.push(path.relative(SRC, full).split(path.sep).join('/'));
    }
  }
  return found.sort();
}

/** The relative module specifiers a file imports or re-exports. */
function relativeImports(text: string): string[] {
  const file = ts.createSourceFile('x.ts', text, ts.ScriptTarget.Latest);
  const specs: string[] = [];
  for (const stmt of file.statements) {
    if (
      (ts.isImportDeclaration(stmt) || ts.isExportDeclaration(stmt)) &&
      stmt.moduleSpecifier &&
      ts.isStringLiteral(stmt.moduleSpecifier) &&
      stmt.moduleSpecifier.text.startsWith('.')
    ) {
      specs.push(stmt.moduleSpecifier.text);
    }
  }
  return specs;
}

function resolve(from: string, spec: string, known: Set<string>): string {
  const base = path.posix.normalize(
    path.posix.join(path.posix.dirname(from), spec)
  );
  for (const candidate of [`${base}.ts`, `${base}/index.ts`]) {
    if (known.has(candidate)) {
      return candidate;
    }
  }
  throw new Error(`${from}: cannot resolve ${spec}`);
}

/** The import graph of `src/`: file -> the files it imports. */
export function importGraph(): Map<string, string[]> {
  const files = sources();
  const known = new Set(files);
  const graph = new Map<string, string[]>();
  for (const file of files) {
    const text = fs.readFileSync(path.join(SRC, file), 'utf8');
    graph.set(
      file,
      relativeImports(text).map(spec => resolve(file, spec, known))
    );
  }
  return graph;
}

function layerOf(file: string): string {
  return file.split('/')[0];
}

/** `features/<name>` for a feature file, else null. */
function featureOf(file: string): string | null {
  const parts = file.split('/');
  return parts[0] === 'features' ? `features/${parts[1]}` : null;
}

/** One cycle of the graph as a path, or null. */
function findCycle(graph: Map<string, string[]>): string[] | null {
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (file: string): string[] | null => {
    state.set(file, 'open');
    stack.push(file);
    for (const next of graph.get(file) ?? []) {
      if (state.get(next) === 'open') {
        return [...stack.slice(stack.indexOf(next)), next];
      }
      if (!state.has(next)) {
        const cycle = visit(next);
        if (cycle) {
          return cycle;
        }
      }
    }
    stack.pop();
    state.set(file, 'done');
    return null;
  };
  for (const file of graph.keys()) {
    if (!state.has(file)) {
      const cycle = visit(file);
      if (cycle) {
        return cycle;
      }
    }
  }
  return null;
}

describe('the layers of src/', () => {
  const graph = importGraph();

  it('puts every file in a layer folder (index.ts alone at the top)', () => {
    const loose = [...graph.keys()].filter(f => !(layerOf(f) in RANK));
    expect(loose).toEqual([]);
  });

  it('imports only downward (or within its own layer)', () => {
    const upward: string[] = [];
    for (const [file, deps] of graph) {
      for (const dep of deps) {
        if (RANK[layerOf(dep)] > RANK[layerOf(file)]) {
          upward.push(`${file} -> ${dep}`);
        }
      }
    }
    expect(upward).toEqual([]);
  });

  it('has no imports between two features', () => {
    const across: string[] = [];
    for (const [file, deps] of graph) {
      const own = featureOf(file);
      for (const dep of deps) {
        const other = featureOf(dep);
        if (own && other && other !== own) {
          across.push(`${file} -> ${dep}`);
        }
      }
    }
    expect(across).toEqual([]);
  });

  it('gives every feature its own plugin.ts', () => {
    const features = new Set(
      [...graph.keys()].map(featureOf).filter((f): f is string => f !== null)
    );
    const without = [...features].filter(f => !graph.has(`${f}/plugin.ts`));
    expect(without).toEqual([]);
  });

  it('has no cycles', () => {
    expect(findCycle(graph)).toBeNull();
  });

  it('reaches the server only from api/ and model/', () => {
    const callers = [...graph.keys()].filter(
      file =>
        (layerOf(file) === 'ui' || layerOf(file) === 'features') &&
        // the global fetch(), not a method of that name (IStateDB.fetch)
        /\.client\b|requestAPI|(?<![.\w])fetch\(/.test(
          fs.readFileSync(path.join(SRC, file), 'utf8')
        )
    );
    expect(callers).toEqual([]);
  });

  it('finds an upward import and a cycle when there is one', () => {
    const bad = new Map<string, string[]>([
      ['base/a.ts', ['model/b.ts']],
      ['model/b.ts', ['base/a.ts']]
    ]);
    expect(findCycle(bad)).toEqual(['base/a.ts', 'model/b.ts', 'base/a.ts']);
    expect(relativeImports("export * from './x';\nimport y from 'z';")).toEqual(
      ['./x']
    );
  });
});
