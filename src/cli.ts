const USAGE = `usage: invite-gateway <command>

commands:
  serve        run the gateway (the default; same as npm start)
  replay       replay logged InviteToChat requests against a gateway and report what changed
               (invite-gateway replay --help)
  campaign     send a notification campaign from a CSV or JSON file, follow it, pause, resume
               or cancel it (invite-gateway campaign --help)
  help         this text

Settings come from the environment: PORT, REDIS_URL, REDIS_WAIT_SECONDS, REDIS_PREFIX, GATEWAY_CONFIG, TEMPLATES_DIR,
GATEWAY_ROLE (all|api|worker), WORKER_CONCURRENCY, LOG_LEVEL. See README.md.`;

/**
 * The `invite-gateway` command line (bin/invite-gateway.js); returns the exit status. A root file beside main.ts, not
 * in src/cli/: `serve` starts main.ts, and no folder imports the root files (docs/layout.md).
 */
export async function runCli(args: string[]): Promise<number> {
  const [command = 'serve'] = args;
  switch (command) {
    case 'serve': {
      // Loaded on demand: `help` (and later commands) must not pay for the gateway's imports.
      const { main } = await import('./main.js');
      await main();
      return typeof process.exitCode === 'number' ? process.exitCode : 0;
    }
    case 'replay': {
      const { replayCommand } = await import('./cli/replay-command.js');
      return replayCommand(args.slice(1));
    }
    case 'campaign': {
      const { campaignCommand } = await import('./cli/campaign-command.js');
      return campaignCommand(args.slice(1));
    }
    case 'help':
    case '--help':
    case '-h':
      console.log(USAGE);
      return 0;
    default:
      console.error(`unknown command "${command}"\n\n${USAGE}`);
      return 2;
  }
}
