// Text from input (a flag, a repo URL, a plugin's answer, a container's log) reaches the terminal only
// through here: control characters (an escape sequence can recolor, retitle or rewrite the screen) and the
// invisible or text-direction characters (an RTL override prints a URL as another) become visible
// escapes like \x1b and \u202e. Newlines and tabs stay: human output is made of lines.

// C0 controls but \t and \n, DEL and the C1 controls, and the bidi/zero-width format characters
// eslint-disable-next-line no-control-regex
const UNSAFE = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]/g;

function escapeOne(ch: string): string {
  const code = ch.charCodeAt(0);
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
}

/** `text` with every control and bidi character written as a visible escape; newlines and tabs kept. */
export function escapeControls(text: string): string {
  return text.replace(UNSAFE, escapeOne);
}
