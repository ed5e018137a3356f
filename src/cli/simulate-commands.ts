import path from 'node:path';
import type { Command } from 'commander';
import { UsageError } from '../domain/errors.js';
import { globals, type GlobalOptions } from './context.js';
import { out, outJson, type CliIo } from './output.js';

/** `meetsync simulate`: the three simulators in the foreground, and how to point meetsync at them. */
export function registerSimulateCommands(program: Command, io: CliIo): void {
  program
    .command('simulate')
    .description('run the Web Meeting, Google Calendar and Microsoft Graph simulators in the foreground (for trying meetsync out)')
    .option('--port <n>', 'port of the Web Meeting simulator; Google uses the next one, Microsoft Graph the one after (0 = random)', '47801')
    .option('--state-dir <dir>', 'where the CA and a ready config are written', '.meetsync-sim')
    .option('--calendar <email...>', 'calendars to create on the Google simulator', ['alice@example.com'])
    .option('--mailbox <email...>', 'mailboxes to create on the Microsoft Graph simulator', ['bob@example.com'])
    .action(async (_o, cmd: Command) => {
      const opts = globals(cmd) as GlobalOptions & { port: string; stateDir: string; calendar: string[]; mailbox: string[] };
      const port = Number(opts.port);
      if (!Number.isInteger(port) || port < 0 || port > 65533) throw new UsageError(`--port ${opts.port}: give a port number between 0 and 65533`);
      const { launchSimulators, SIM_GRAPH_APP } = await import('../simulators/launch.js');
      const sims = await launchSimulators({ port, stateDir: path.resolve(io.cwd, opts.stateDir), calendars: opts.calendar, mailboxes: opts.mailbox });
      const info = {
        webMeeting: { url: sims.webMeeting.url, apiKey: 'simulated-webmeeting-api-key' },
        google: { rootUrl: sims.google.rootUrl, tokenUrl: sims.google.tokenUrl, calendars: opts.calendar },
        graph: { url: sims.graph.url, graphBaseUrl: sims.graph.graphBaseUrl, tokenUrl: sims.graph.tokenUrl(SIM_GRAPH_APP.tenantId), tenantId: SIM_GRAPH_APP.tenantId, clientId: SIM_GRAPH_APP.clientId, mailboxes: opts.mailbox },
        caCertificate: sims.caCertPath,
        config: sims.configPath,
      };
      if (opts.json) outJson(io, info);
      else {
        const calendar = opts.calendar[0]!;
        const mailbox = opts.mailbox[0]!;
        // Outlook sources read a window (window.futureDays, default 180 days): the example event is next week.
        const day = new Date(Date.now() + 7 * 86_400_000).toISOString().slice(0, 10);
        const outlookEvent = JSON.stringify({
          subject: 'Budget review',
          categories: ['Web Meeting'],
          start: { dateTime: `${day}T09:00:00`, timeZone: 'UTC' },
          end: { dateTime: `${day}T10:00:00`, timeZone: 'UTC' },
        });
        out(io, `Web Meeting simulator:     ${info.webMeeting.url}   (API key: ${info.webMeeting.apiKey})`);
        out(io, `Google Calendar simulator: ${info.google.rootUrl}   (calendars: ${opts.calendar.join(', ')})`);
        out(io, `Microsoft Graph simulator: ${info.graph.graphBaseUrl}   (token: ${info.graph.tokenUrl}; mailboxes: ${opts.mailbox.join(', ')})`);
        out(io, `All serve https with a local CA. In the terminal where you run meetsync:`);
        out(io, `  export NODE_EXTRA_CA_CERTS=${sims.caCertPath}`);
        out(io, `  export MEETSYNC_CONFIG=${sims.configPath}`);
        out(io, `Then: meetsync accounts create --email ${calendar} --first Alice --last Example`);
        out(io, `      meetsync accounts create --email ${mailbox} --first Bob --last Example`);
        out(io, `Add a Google event as a user: curl --cacert ${sims.caCertPath} -X POST ${sims.google.url}/_sim/calendars/${calendar}/events -H 'content-type: application/json' -d '{"summary":"Planning #webmeeting","start":{"dateTime":"2030-01-07T09:00:00Z"},"end":{"dateTime":"2030-01-07T10:00:00Z"}}'`);
        out(io, `Add an Outlook event (category Web Meeting): curl --cacert ${sims.caCertPath} -X POST ${sims.graph.url}/_sim/mailboxes/${mailbox}/events -H 'content-type: application/json' -d '${outlookEvent}'`);
        out(io, `Then: meetsync sync; meetsync status`);
        out(io, 'Press Ctrl-C to stop.');
      }
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      await sims.stop();
    });
}
