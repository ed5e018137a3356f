import type { Command } from 'commander';
import { UsageError } from '../domain/errors.js';
import { quoted } from '../domain/printable.js';
import { globals, withStore } from './context.js';
import { complain, out, outJson, type CliIo } from './output.js';

/** How many events the short list of several matches shows. */
const MATCHES_SHOWN = 10;

/**
 * `meetsync explain <event>` (issue 20): the story of one event, from the database alone. Loads
 * the store and the story's own modules, no engine, adapter or platform client. Exit 0 when an
 * event (or several, listed to choose from) matches, 1 when none does, 2 for usage.
 */
export function registerExplainCommand(program: Command, io: CliIo): void {
  program
    .command('explain')
    .description('the story of one event: as last read, whether it wants a meeting and why, its organizer, its meeting, every call made for it, and what happens next')
    .argument('<event...>', 'an event id, a meeting number (1234-5678-9012-3456), a meeting id, or words of the title')
    .action(async (words: string[], _o, cmd: Command) => {
      const opts = globals(cmd);
      const query = words.join(' ').trim();
      if (query === '') throw new UsageError("explain: give an event id, a meeting number (1234-5678-9012-3456), a meeting id or words of the event's title");
      await withStore(
        io,
        opts,
        async ({ config, store }) => {
          const { findEvents, matchOf, tellStory } = await import('../explain/story.js');
          const found = findEvents(store, query, MATCHES_SHOWN);
          if (found.length === 0) {
            if (opts.json) outJson(io, { query, matches: [] }, 2);
            complain(io, `meetsync: no event matches ${quoted(query)}: give an event id, a meeting number (1234-5678-9012-3456), a meeting id or words of its title ('meetsync status' lists the events needing attention)`);
            process.exitCode = 1;
            return;
          }
          const { renderMatches, renderStory } = await import('../explain/render.js');
          if (found.length > 1) {
            const matches = found.map((k) => matchOf(store, k));
            if (opts.json) outJson(io, { query, matches }, 2);
            else out(io, renderMatches(query, matches, MATCHES_SHOWN));
            return;
          }
          const { defaultJoinUrlTemplate } = await import('../webmeeting/assumptions.js');
          const story = tellStory(store, found[0]!, {
            accountIds: config.webMeeting.accountIds,
            joinUrlTemplate: config.webMeeting.joinUrlTemplate ?? defaultJoinUrlTemplate(config.webMeeting.baseUrl),
            schedule: config.schedule,
            retry: { limitMs: config.webMeeting.holdUnconfirmedAfterHours * 3_600_000 },
          });
          if (opts.json) outJson(io, story, 2);
          else out(io, renderStory(story));
        },
        { create: false },
      );
    });
}
