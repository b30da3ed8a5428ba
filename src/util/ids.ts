// Short, unique, URL-safe ids (nanoid): lowercase alphanumerics read well in `cac box list` and in VM labels.
import { customAlphabet } from 'nanoid';

const ALPHABET = '0123456789abcdefghijklmnopqrstuvwxyz';
const boxSuffix = customAlphabet(ALPHABET, 12);

/** A new box id: `box_` + 12 lowercase alphanumerics (36^12 ≈ 4.7e18 values). */
export function newBoxId(): string {
  return `box_${boxSuffix()}`;
}
