import { printable } from '../../domain/printable.js';

/**
 * Text into HTML, for element content and quoted attribute values alike. Every string of the
 * HTML report goes through here: topics and feed warnings are written by other people (an
 * invitation's sender, the platform), and a `<script>` in a topic must show as text.
 */
const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(text: string): string {
  // Terminal controls go as in every other report (printable, shared with the text and CSV
  // reports): a whole escape sequence removed, not only its ESC, which left "[31mRED[0m" on the page.
  return printable(text).replace(/[&<>"']/g, (c) => ENTITIES[c]!);
}
