#!/usr/bin/env node
/**
 * What the long tasks of a grid benchmark round are made of, from the
 * Chromium performance trace `VL_GRID_TRACE=PREFIX node bench_grid.js ...`
 * writes (PREFIX.N.json per round):
 *
 *   node benchmarks/grid_trace.js PREFIX.0.json [--over 100] [--top 25] [--tree 3]
 *
 * Finds the page's main thread (the one with the benchmark's phase marks),
 * its top-level tasks longer than `--over` ms, the phase each began in and
 * the thread's CPU time in it (the rest of a task's time the thread waited:
 * for a core, or for the compositor thread's commit), and
 * sums within them the self time of every traced step (script, style, layout,
 * paint, canvas raster, GC, ...) and of every JavaScript function (the
 * sampling profiler's leaf frames, and inclusive); with `--tree N`, each long
 * task's steps of 2 ms or more as a tree N levels deep (which frame, which
 * callback, which response). Not a benchmark: it prints where the time of the
 * long tasks goes, as Markdown.
 */
const fs = require('fs');

const args = process.argv.slice(2);
const file = args[0];
/** @param {string} name @param {number} dflt */
const num = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};
const OVER_MS = num('over', 100);
const TOP = num('top', 25);
const TREE = num('tree', 0);
/** Only the tasks that began in these phases (comma-separated; all when absent). */
const PHASES = args.includes('--phases')
  ? new Set(args[args.indexOf('--phases') + 1].split(','))
  : null;
const TASKS = new Set(['ThreadControllerImpl::RunTask', 'RunTask']);

/** @param {any} trace */
function mainThread(trace) {
  /** @type {Map<string, any[]>} */
  const marks = new Map();
  for (const e of trace) {
    if (String(e.name).startsWith('vl-phase:')) {
      const key = `${e.pid}:${e.tid}`;
      marks.set(key, [...(marks.get(key) ?? []), e]);
    }
  }
  const [[key, list]] = [...marks].sort((a, b) => b[1].length - a[1].length);
  const phases = list
    .filter(e => e.ph !== 'e')
    .map(e => ({ ts: e.ts, phase: e.name.slice('vl-phase:'.length) }))
    .sort((a, b) => a.ts - b.ts);
  return { key, phases };
}

/** Complete events of one thread (B/E pairs joined), by start. */
function spans(/** @type {any[]} */ events) {
  /** @type {any[]} */
  const out = [];
  /** @type {any[]} */
  const open = [];
  for (const e of events) {
    if (e.ph === 'X' && typeof e.dur === 'number') {
      out.push({
        name: e.name,
        ts: e.ts,
        end: e.ts + e.dur,
        tdur: e.tdur,
        args: e.args
      });
    } else if (e.ph === 'B') {
      open.push(e);
    } else if (e.ph === 'E') {
      const b = open.pop();
      if (b) {
        out.push({ name: b.name, ts: b.ts, end: e.ts, args: b.args });
      }
    }
  }
  return out.sort((a, b) => a.ts - b.ts || b.end - a.end);
}

/** Self time per name inside a task (its nested spans). */
function selfTimes(/** @type {any} */ task, /** @type {any[]} */ inner) {
  /** @type {Map<string, number>} */
  const self = new Map();
  /** @type {any[]} */
  const stack = [{ ...task, child: 0 }];
  const pop = (/** @type {number} */ until) => {
    while (stack.length > 1 && stack[stack.length - 1].end <= until) {
      const s = /** @type {any} */ (stack.pop());
      const label = labelOf(s);
      self.set(label, (self.get(label) ?? 0) + (s.end - s.ts - s.child));
      stack[stack.length - 1].child += s.end - s.ts;
    }
  };
  for (const s of inner) {
    pop(s.ts);
    stack.push({ ...s, end: Math.min(s.end, task.end), child: 0 });
  }
  pop(Infinity);
  const top = stack[0];
  self.set('(task itself)', top.end - top.ts - top.child);
  return self;
}

/**
 * A task's steps over 2 ms, nested to `depth` levels, as indented lines
 * (with the function, URL or frame the trace names).
 */
function tree(
  /** @type {any} */ task,
  /** @type {any[]} */ inner,
  /** @type {[number, string, string[]][]} */ all,
  depth = TREE
) {
  /** @type {string[]} */
  const out = [];
  /** @type {any[]} */
  const stack = [task];
  for (const s of inner) {
    while (stack.length > 1 && stack[stack.length - 1].end <= s.ts) {
      stack.pop();
    }
    const level = stack.length;
    stack.push(s);
    if (level <= depth && s.end - s.ts >= 2000) {
      const data = s.args?.data ?? s.args?.beginData ?? {};
      const what = data.url ?? data.functionName ?? '';
      out.push(
        `${'  '.repeat(level)}- ${labelOf(s)} ${((s.end - s.ts) / 1000).toFixed(1)} ms ${String(what).slice(-60)}${
          s.name === 'FireAnimationFrame' || s.name === 'FunctionCall'
            ? ` (JS: ${jsIn(all, s)})`
            : ''
        }`
      );
    }
  }
  return out;
}

/** The JavaScript functions sampled during span `s` (inclusive ms, top 6). */
function jsIn(
  /** @type {[number, string, string[]][]} */ all,
  /** @type {any} */ s
) {
  /** @type {Map<string, number>} */
  const ms = new Map();
  let prev = s.ts;
  for (const [ts, , frames] of all) {
    if (ts < s.ts || ts > s.end) {
      continue;
    }
    for (const f of new Set(frames)) {
      if (!f.startsWith('(')) {
        ms.set(f, (ms.get(f) ?? 0) + (ts - prev) / 1000);
      }
    }
    prev = ts;
  }
  return [...ms]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 6)
    .map(([f, t]) => `${f} ${t.toFixed(0)}`)
    .join(', ');
}

/** An event's name, with the script's function where the trace gives it. */
function labelOf(/** @type {any} */ s) {
  const data = s.args?.data;
  if (s.name === 'FunctionCall' && data?.functionName) {
    return `FunctionCall ${data.functionName}`;
  }
  return s.name;
}

/** The sampling profiler's samples: [ts, leaf name, all frame names]. */
function samples(/** @type {any[]} */ trace, /** @type {string} */ key) {
  const pid = Number(key.split(':')[0]);
  /** @type {Map<string, {t: number, nodes: Map<number, any>}>} */
  const profiles = new Map();
  /** @type {[number, string, string[]][]} */
  const out = [];
  for (const e of trace) {
    if (e.pid !== pid) {
      continue;
    }
    if (e.name === 'Profile') {
      profiles.set(e.id, { t: e.args.data.startTime, nodes: new Map() });
    } else if (e.name === 'ProfileChunk') {
      const p = profiles.get(e.id);
      const cpu = e.args.data.cpuProfile ?? {};
      if (!p) {
        continue;
      }
      for (const n of cpu.nodes ?? []) {
        p.nodes.set(n.id, n);
      }
      const deltas = e.args.data.timeDeltas ?? [];
      (cpu.samples ?? []).forEach(
        (/** @type {number} */ id, /** @type {number} */ i) => {
          p.t += deltas[i] ?? 0;
          /** @type {string[]} */
          const frames = [];
          for (let n = p.nodes.get(id); n; n = p.nodes.get(n.parent)) {
            const f = n.callFrame;
            frames.push(
              f.functionName ||
                (f.url ? '(anonymous)' : f.url === '' ? '(root)' : '?')
            );
            if (!n.parent) {
              break;
            }
          }
          const leaf = p.nodes.get(id)?.callFrame;
          out.push([
            p.t,
            leaf
              ? leaf.functionName || `(${leaf.url ? 'anonymous' : 'program'})`
              : '?',
            frames
          ]);
        }
      );
    }
  }
  return out.sort((a, b) => a[0] - b[0]);
}

/** @param {Map<string, number>} m @param {number} total */
function table(m, total, /** @type {string} */ what) {
  const rows = [...m].sort((a, b) => b[1] - a[1]).slice(0, TOP);
  const lines = [`| ${what} | ms | share |`, '|---|---|---|'];
  for (const [name, us] of rows) {
    lines.push(
      `| ${name} | ${(us / 1000).toFixed(0)} | ${((100 * us) / total).toFixed(1)} % |`
    );
  }
  return lines.join('\n');
}

function main() {
  const raw = JSON.parse(fs.readFileSync(file, 'utf-8'));
  const trace = Array.isArray(raw) ? raw : raw.traceEvents;
  const { key, phases } = mainThread(trace);
  const thread = spans(
    trace.filter((/** @type {any} */ e) => `${e.pid}:${e.tid}` === key)
  );
  const phaseAt = (/** @type {number} */ ts) => {
    let p = 'before';
    for (const m of phases) {
      if (m.ts <= ts) {
        p = m.phase;
      }
    }
    return p;
  };
  const tasks = thread.filter(s => TASKS.has(s.name));
  const long = tasks.filter(
    (t, i) =>
      t.end - t.ts > OVER_MS * 1000 &&
      !(i > 0 && tasks[i - 1].end >= t.end) &&
      (!PHASES || PHASES.has(phaseAt(t.ts)))
  );
  /** @type {Map<string, number>} */
  const steps = new Map();
  /** @type {Map<string, number>} */
  const byPhase = new Map();
  let total = 0;
  let j = 0;
  /** @type {string[]} */
  const each = [];
  /** @type {string[]} */
  const trees = [];
  const all = samples(trace, key);
  for (const t of long) {
    while (j < thread.length && thread[j].ts < t.ts) {
      j++;
    }
    /** @type {any[]} */
    const inner = [];
    for (let k = j; k < thread.length && thread[k].ts < t.end; k++) {
      if (
        thread[k] !== t &&
        !(
          thread[k].ts === t.ts &&
          thread[k].end === t.end &&
          TASKS.has(thread[k].name)
        )
      ) {
        inner.push(thread[k]);
      }
    }
    const self = selfTimes(t, inner);
    for (const [name, us] of self) {
      steps.set(name, (steps.get(name) ?? 0) + us);
    }
    total += t.end - t.ts;
    const phase = phaseAt(t.ts);
    const top = [...self].sort((a, b) => b[1] - a[1]).slice(0, 4);
    each.push(
      `| ${phase} | ${((t.end - t.ts) / 1000).toFixed(0)} | ${
        typeof t.tdur === 'number' ? (t.tdur / 1000).toFixed(0) : '?'
      } | ` +
        top.map(([n, us]) => `${n} ${(us / 1000).toFixed(0)}`).join(', ') +
        ' |'
    );
    byPhase.set(phase, (byPhase.get(phase) ?? 0) + 1);
    if (TREE) {
      trees.push(
        `- ${phase} task ${((t.end - t.ts) / 1000).toFixed(0)} ms`,
        ...tree(t, inner, all)
      );
    }
  }
  /** @type {Map<string, number>} */
  const leaf = new Map();
  /** @type {Map<string, number>} */
  const inclusive = new Map();
  let s = 0;
  let inLong = 0;
  for (const t of long) {
    while (s < all.length && all[s][0] < t.ts) {
      s++;
    }
    let prev = t.ts;
    for (let k = s; k < all.length && all[k][0] < t.end; k++) {
      const [ts, name, frames] = all[k];
      const us = ts - prev;
      prev = ts;
      inLong += us;
      leaf.set(name, (leaf.get(name) ?? 0) + us);
      for (const f of new Set(frames)) {
        inclusive.set(f, (inclusive.get(f) ?? 0) + us);
      }
    }
  }
  const lines = [
    `${file}: ${long.length} main-thread tasks over ${OVER_MS} ms, ${(total / 1000).toFixed(0)} ms in all; by phase: ` +
      [...byPhase].map(([p, n]) => `${p} ${n}`).join(', '),
    '',
    '| phase | ms | main-thread CPU ms | largest steps (self ms) |',
    '|---|---|---|---|',
    ...each,
    '',
    table(steps, total, 'traced step (self time)'),
    '',
    table(leaf, inLong || 1, 'JS profiler leaf'),
    '',
    table(inclusive, inLong || 1, 'JS profiler frame (inclusive)'),
    ...(TREE ? ['', ...trees] : [])
  ];
  console.log(lines.join('\n'));
}

main();
