/**
 * Deterministic class colours, shared by every view.
 *
 * A class name always maps to the same colour, in every panel, session and
 * browser: the hue comes from a 32-bit FNV-1a hash of the name (UTF-16 code
 * units), saturation and lightness from other bits of the same hash.
 */
import { ownValue } from './dataText';

/** 32-bit FNV-1a hash of a string (unsigned). */
export function hashString(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  // Final avalanche so that names differing in one last character spread out.
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x85ebca6b);
  hash ^= hash >>> 13;
  return hash >>> 0;
}

/** Hue (0-359), saturation and lightness (percent) of a class. */
export function classHsl(label: string): [number, number, number] {
  const h = hashString(label);
  const hue = h % 360;
  const sat = 65 + ((h >>> 9) % 4) * 8; // 65..89
  const light = 45 + ((h >>> 13) % 3) * 6; // 45..57: readable on light and dark
  return [hue, sat, light];
}

/**
 * The CSS colour of a class: an override from the settings when present,
 * else `hsl(...)` from the hash of the name.
 */
export function classColor(
  label: string,
  overrides?: { readonly [label: string]: string } | null
): string {
  const custom = ownValue(overrides, label);
  if (custom) {
    return custom;
  }
  const [h, s, l] = classHsl(label);
  return `hsl(${h}, ${s}%, ${l}%)`;
}

/**
 * The CSS colour of a video track: one per track identity, the same in the
 * overlay and on the timeline (the hash of the id, as class colours are).
 */
export function trackColor(trackId: number): string {
  const [h, s, l] = classHsl(`track ${trackId}`);
  return `hsl(${h}, ${s}%, ${l}%)`;
}
