/**
 * Event titles are written by whoever sends the invitation, and provider error messages by the
 * provider: printed raw, an escape sequence in them drives the reader's terminal (retitle the
 * window, hide or recolour text, on some terminals worse). Everything meetsync prints for a
 * person goes through `printable` once, where it leaves the process (src/cli/output.ts, src/log.ts).
 */

/**
 * ECMA-48 sequences, 7-bit (ESC ...) and 8-bit (C1 introducers): CSI with its parameters, OSC,
 * DCS, SOS, PM and APC up to their terminator (BEL or ST, or the end of the text when missing),
 * and the two-character ESC forms. Removed whole, so no parameter text is left behind.
 */
const ESCAPE_SEQUENCE = new RegExp(
  [
    '(?:\\u001b\\[|\\u009b)[0-?]*[ -/]*[@-~]?',
    '(?:\\u001b[\\]PX^_]|[\\u0090\\u0098\\u009d-\\u009f])[^\\u0007\\u001b\\u009c]*(?:\\u0007|\\u001b\\\\|\\u009c)?',
    '\\u001b[ -/]*[0-~]?',
  ].join('|'),
  'g',
);

/** C0 controls but the line feed, DEL, and C1 controls. */
const CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/g;

/**
 * `text` without terminal control: escape sequences removed, a tab becomes a space, every other
 * control character (C0 except the line feed, DEL, C1) is dropped. Line feeds stay: they are how
 * the CLI separates its own lines.
 */
export function printable(text: string): string {
  return text.replace(ESCAPE_SEQUENCE, '').replace(/\t/g, ' ').replace(CONTROL, '');
}

/**
 * For JSON text (log lines, --json output): DEL and C1 controls, which JSON.stringify leaves raw,
 * written as \u escapes instead, so the JSON stays valid and means the same.
 */
export function escapeRawControls(json: string): string {
  return json.replace(/[\u007f-\u009f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/**
 * A value someone else wrote (a provider's field, a config key) inside a one-line message: in
 * double quotes with JSON escapes, so a line break in it cannot start a second line, and cut
 * after `max` characters, so a 100 KB value does not become a 100 KB message.
 */
export function quoted(value: string, max = 80): string {
  const cut = value.length > max ? `${value.slice(0, max)}...` : value;
  return JSON.stringify(cut).replace(/[\u0085\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** `text` on one line (line breaks written as \n) and at most `max` characters, for a message built from others' text. */
export function oneLine(text: string, max = 300): string {
  const flat = text.replace(/\r\n|[\r\n\u0085\u2028\u2029]/g, '\\n');
  return flat.length > max ? `${flat.slice(0, max)}...` : flat;
}

/**
 * Someone else's text (a title, a provider's error, a calendar name) inside a line of CLI output:
 * its line breaks written as `\n`, so a title cannot print a line of its own ("skipped: ..."
 * under the real one). Not cut, unlike `oneLine`: the whole title or error is what the operator
 * reads the line for. `printable`, which every printed line goes through after this, keeps line
 * feeds (the CLI's own line separator) and drops the other controls (a lone CR, NEL, VT, FF).
 */
export function inline(text: string): string {
  return text.replace(/\r?\n|[\u2028\u2029]/g, '\\n');
}
