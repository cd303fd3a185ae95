/**
 * Dataset text (file, class, field, attribute and tag names) made safe to
 * show and to use as a key.
 *
 * Names come from annotation files and may be anything: `constructor` or
 * `__proto__` as a class name finds `Object.prototype` members in a plain
 * object, and right-to-left override characters make `invoice\u202Egnp.exe.jpg`
 * read as `invoicegpj.exe.png`. Look such keys up with {@link ownValue} (or keep
 * them in a `Map`), and pass such text through {@link visibleText} before it is
 * shown.
 */

/**
 * Characters that reorder or hide text: the bidi embeddings, overrides and
 * isolates (U+202A-202E, U+2066-2069), the marks U+200E, U+200F and U+061C,
 * and the C0 controls other than tab and newline (a NUL in a file name).
 */
const INVISIBLE =
  // eslint-disable-next-line no-control-regex -- matching control characters is the point
  /[\u202A-\u202E\u2066-\u2069\u200E\u200F\u061C\u0000-\u0008\u000B-\u001F\u007F]/g;

/** `text` with each bidi control or control character shown as `[U+XXXX]`. */
export function visibleText(text: string): string {
  return text.replace(
    INVISIBLE,
    c => `[U+${c.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}]`
  );
}

/**
 * The value of `key` in `record` if it is the record's own property, else
 * undefined: never an `Object.prototype` member such as `constructor`.
 */
export function ownValue<T>(
  record: { readonly [key: string]: T } | null | undefined,
  key: string
): T | undefined {
  return record && Object.prototype.hasOwnProperty.call(record, key)
    ? record[key]
    : undefined;
}
