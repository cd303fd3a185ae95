/**
 * Tiny DOM helpers. Text always goes through textContent: class names, file
 * names and fields come from datasets and are untrusted; bidi controls in it
 * are shown escaped ({@link visibleText}).
 */
import { ownValue, visibleText } from './dataText';

/** Create an element with classes, attributes and text children. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: {
    className?: string;
    text?: string;
    title?: string;
    attrs?: { [name: string]: string };
  } = {},
  ...children: (Node | string | null | undefined | false)[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  if (props.className) {
    el.className = props.className;
  }
  if (props.text !== undefined) {
    el.textContent = visibleText(props.text);
  }
  if (props.title !== undefined) {
    el.title = visibleText(props.title);
  }
  for (const [k, v] of Object.entries(props.attrs ?? {})) {
    el.setAttribute(k, v);
  }
  for (const child of children) {
    if (child === null || child === undefined || child === false) {
      continue;
    }
    el.appendChild(
      typeof child === 'string'
        ? document.createTextNode(visibleText(child))
        : child
    );
  }
  return el;
}

/** A toolbar button with a text label. */
export function button(
  label: string,
  className: string,
  onClick: () => unknown
): HTMLButtonElement {
  const b = h('button', {
    className: `jp-VisionLens-button ${className}`,
    text: label
  });
  b.type = 'button';
  b.addEventListener('click', () => void onClick());
  return b;
}

/** Remove every child of an element. */
export function clear(el: Element): void {
  while (el.firstChild) {
    el.removeChild(el.firstChild);
  }
}

/** A number with thousands separators. */
/**
 * Replace `container`'s children; a control inside it that had the focus
 * keeps it in the new children (the one with the same `aria-label`), so a
 * redraw after a write does not throw a keyboard user out.
 */
export function replaceKeepingFocus(
  container: Element,
  children: Node[]
): void {
  const active = document.activeElement;
  const focused = container.contains(active)
    ? active?.getAttribute('aria-label')
    : null;
  container.replaceChildren(...children);
  if (focused) {
    [...container.querySelectorAll<HTMLElement>('[aria-label]')]
      .find(el => el.getAttribute('aria-label') === focused)
      ?.focus();
  }
}

export function fmtInt(n: number | null | undefined): string {
  return n === null || n === undefined ? '–' : n.toLocaleString('en-US');
}

/** A short date from an ISO timestamp. */
export function fmtDate(iso: string | null | undefined): string {
  if (!iso) {
    return '';
  }
  const d = new Date(iso);
  return Number.isNaN(d.getTime())
    ? String(iso)
    : d.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

/** A value of a fields table as plain text. */
export function fmtValue(v: unknown): string {
  if (v === null || v === undefined) {
    return '';
  }
  if (typeof v === 'number') {
    return Number.isInteger(v) ? String(v) : v.toFixed(4);
  }
  return typeof v === 'string' ? v : JSON.stringify(v);
}

/** The value of a sample field by its filter name (`split`, `fields.<key>`...). */
export function sampleField(
  sample: { fields?: { [k: string]: unknown } } & { [k: string]: unknown },
  name: string
): unknown {
  if (name.startsWith('fields.')) {
    return ownValue(sample.fields, name.slice(7));
  }
  return ownValue(sample, name);
}
