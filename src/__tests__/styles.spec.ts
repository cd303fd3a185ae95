/**
 * Every stylesheet in `style/` reaches JupyterLab. The lab extension's
 * `package.json` names `style/index.js` as its `styleModule` (what JupyterLab
 * loads) and `style/index.css` as its `style`; a CSS file missing from either
 * leaves its panel unstyled in one of them without any error (the jobs panel
 * was, issue 32).
 */
import * as fs from 'fs';
import * as path from 'path';

const STYLE = path.resolve(__dirname, '..', '..', 'style');

/** The CSS files of `style/` other than the entry point itself. */
function sheets(): string[] {
  return fs
    .readdirSync(STYLE)
    .filter(name => name.endsWith('.css') && name !== 'index.css')
    .sort();
}

/** The names captured by `pattern` in the file `name` of `style/`, sorted. */
function imported(name: string, pattern: RegExp): string[] {
  const text = fs.readFileSync(path.join(STYLE, name), 'utf-8');
  return [...text.matchAll(pattern)].map(match => match[1]).sort();
}

describe('style entry points', () => {
  it('finds the stylesheets', () => {
    expect(sheets()).toContain('jobs.css');
    expect(sheets()).toContain('base.css');
  });

  it('index.js imports every stylesheet', () => {
    expect(imported('index.js', /^import '\.\/([\w-]+\.css)';$/gm)).toEqual(
      sheets()
    );
  });

  it('index.css imports every stylesheet', () => {
    expect(
      imported('index.css', /^@import url\('([\w-]+\.css)'\);$/gm)
    ).toEqual(sheets());
  });

  it('package.json names both entry points', () => {
    const pkg = JSON.parse(
      fs.readFileSync(path.resolve(STYLE, '..', 'package.json'), 'utf-8')
    );
    expect(pkg.styleModule).toBe('style/index.js');
    expect(pkg.style).toBe('style/index.css');
  });
});
