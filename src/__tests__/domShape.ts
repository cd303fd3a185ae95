/**
 * What an element shows, as a string the specs compare: its tag, attributes
 * (sorted by name) and text, then its children's, depth first.
 */
export function shape(el: Element | undefined): string {
  if (!el) {
    return '';
  }
  const attrs = [...el.attributes]
    .map(a => `${a.name}=${a.value}`)
    .sort()
    .join(' ');
  const kids = [...el.children].map(shape).join('');
  const text = el.children.length ? '' : (el.textContent ?? '');
  return `<${el.localName} ${attrs}>${text}${kids}</${el.localName}>`;
}
