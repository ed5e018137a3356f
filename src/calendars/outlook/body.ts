import type { JoinDetails } from '../../domain/event.js';
import { BLOCK_END, BLOCK_START, stripJoinBlock, withJoinBlock } from '../../domain/join-block.js';

/**
 * An Outlook event body and meetsync's block inside it.
 *
 * Graph bodies are HTML by default (itemBody `contentType` html | text; event.md `body`). The
 * engine reads plain text (tagging, join-write.ts), so `bodyText` turns HTML into the text a
 * person sees. Write-back keeps the HTML: the block is an HTML fragment appended before
 * `</body>` and delimited by two comments, so it is found, replaced and removed without touching
 * anything around it. That matters: "Before updating the body of an event that has been set up
 * as an online meeting, be sure to first get the body property, apply the appropriate changes to
 * the content, and preserve the meeting blob for online meeting" (event-update.md); the Teams
 * block of event-online-meeting-created.json and any signature stay byte for byte.
 *
 * The block's text (as `bodyText` reads it) is exactly join-block.ts's renderJoinBlock, so
 * `hasJoinBlock`/`joinUrlInBlock` and therefore "write the same details twice = no write"
 * (join-write.ts) mean the same for Outlook as for Google, even if Exchange re-formats our HTML.
 */

export const HTML_BLOCK_BEGIN = '<!-- meetsync:join-details -->';
export const HTML_BLOCK_END = '<!-- /meetsync:join-details -->';

/** An event body as Graph returns it. */
export interface GraphBody {
  contentType: 'html' | 'text';
  content: string;
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ' };

function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (whole, name: string) => {
    const lower = name.toLowerCase();
    if (lower.startsWith('#x')) return codePoint(Number.parseInt(lower.slice(2), 16), whole);
    if (lower.startsWith('#')) return codePoint(Number.parseInt(lower.slice(1), 10), whole);
    return ENTITIES[lower] ?? whole;
  });
}

function codePoint(value: number, fallback: string): string {
  if (!Number.isFinite(value) || value <= 0 || value > 0x10ffff) return fallback;
  return value === 0xa0 ? ' ' : String.fromCodePoint(value);
}

function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** Tags after which a reader sees a new line. */
const BREAKS = /<\/?(?:br|p|div|li|ul|ol|tr|table|h[1-6]|blockquote|pre|hr)\b[^>]*>/gi;

/**
 * The text a person reads in an HTML body: head, scripts, styles and comments dropped, source
 * line breaks and runs of spaces collapsed (HTML treats them as one space: the Teams block of
 * event-online-meeting-created.json writes "Join\r\n Microsoft Teams Meeting"), a new line at
 * `<br>` and block elements, entities decoded, at most one blank line in a row.
 */
export function htmlToText(html: string): string {
  const text = html
    .replace(/<!--[\s\S]*?-->/g, '')
    .replace(/<(head|style|script|title)\b[^>]*>[\s\S]*?<\/\1\s*>/gi, '')
    .replace(/\s+/g, ' ')
    .replace(BREAKS, '\n')
    .replace(/<[^>]*>/g, '');
  return decodeEntities(text)
    .split('\n')
    .map((line) => line.replace(/[ \t\u00a0]+/g, ' ').trim())
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

/** The body as text: HTML converted, text bodies with their line endings normalized. */
export function bodyText(body: GraphBody | undefined): string {
  if (!body) return '';
  return body.contentType === 'html' ? htmlToText(body.content) : body.content.replace(/\r\n?/g, '\n');
}

/** meetsync's block as HTML; its text is join-block.ts's renderJoinBlock(details). */
export function renderHtmlBlock(details: JoinDetails): string {
  const url = escapeHtml(details.joinUrl);
  return (
    `${HTML_BLOCK_BEGIN}<div>${escapeHtml(BLOCK_START)}<br>` +
    `Join: <a href="${url}">${url}</a><br>` +
    `Meeting number: ${escapeHtml(details.meetingNumber)}<br>` +
    `${escapeHtml(BLOCK_END)}</div>${HTML_BLOCK_END}`
  );
}

/**
 * Where meetsync's blocks sit in an HTML body: between our comments, or, should a server have
 * dropped the comments, from the block's first text line to its last.
 */
function blockSpans(html: string): Array<[number, number]> {
  const spans: Array<[number, number]> = [];
  for (const [begin, end] of [
    [HTML_BLOCK_BEGIN, HTML_BLOCK_END],
    [BLOCK_START, BLOCK_END],
  ] as const) {
    let from = 0;
    for (;;) {
      const start = html.indexOf(begin, from);
      if (start === -1) break;
      const stop = html.indexOf(end, start + begin.length);
      if (stop === -1) break;
      spans.push([start, stop + end.length]);
      from = stop + end.length;
    }
    if (spans.length > 0) return spans;
  }
  return spans;
}

function withoutSpans(html: string, spans: ReadonlyArray<[number, number]>): string {
  let out = '';
  let at = 0;
  for (const [start, stop] of spans) {
    out += html.slice(at, start);
    at = stop;
  }
  return out + html.slice(at);
}

/** Where a new block goes: before `</body>` when there is one (Exchange writes whole documents). */
function insertionPoint(html: string): number {
  const close = html.toLowerCase().lastIndexOf('</body>');
  return close === -1 ? html.length : close;
}

/** The body carrying exactly one block with `details`; everything else in it kept as it was. */
export function bodyWithBlock(body: GraphBody, details: JoinDetails): GraphBody {
  if (body.contentType === 'text') return { contentType: 'text', content: withJoinBlock(bodyText(body), details) };
  const spans = blockSpans(body.content);
  const first = spans[0];
  if (first) {
    // Replaced in place; any second block (a copy pasted by hand) goes.
    const before = body.content.slice(0, first[0]);
    const after = withoutSpans(body.content.slice(first[1]), spans.slice(1).map(([s, e]) => [s - first[1], e - first[1]]));
    return { contentType: 'html', content: `${before}${renderHtmlBlock(details)}${after}` };
  }
  const at = insertionPoint(body.content);
  return { contentType: 'html', content: `${body.content.slice(0, at)}${renderHtmlBlock(details)}${body.content.slice(at)}` };
}

/** The body without any meetsync block; what the organizer wrote is left as it was. */
export function bodyWithoutBlock(body: GraphBody): GraphBody {
  if (body.contentType === 'text') return { contentType: 'text', content: stripJoinBlock(bodyText(body)) };
  return { contentType: 'html', content: withoutSpans(body.content, blockSpans(body.content)) };
}
