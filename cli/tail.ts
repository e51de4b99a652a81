import { KinesisClient } from '@aws-sdk/client-kinesis';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { Command } from 'commander';
import { configPathFrom, loadConfigFile } from '../adapters/config-file.js';
import { tailStream } from '../adapters/kinesis-reader.js';
import { UsageError } from '../core/errors.js';
import { stringifyExact } from '../core/json-text.js';
import { parseOptionalDecimalFlag, parseOptionalWholeFlag } from './flags.js';

/**
 * Registers `tail`: prints a destination stream's records as NDJSON, one
 * `{"partitionKey":…,"sequenceNumber":…,"data":{…}}` per line. Reads the local stream with the
 * environment of `local up` (`AWS_ENDPOINT_URL_KINESIS`), the real one without.
 */
export function registerTailCommand(program: Command): void {
  program
    .command('tail')
    .description("print a destination stream's records as NDJSON")
    .requiredOption('--destination <id>', 'destination id from the config')
    .option('--config <file>', 'destination config (default: $KD_CONFIG, else examples/config.json)')
    .option('--timeout <seconds>', 'stop after this many seconds')
    .option('--count <n>', 'stop after this many records')
    .option('--from-start', "read from the stream's oldest record instead of from now")
    .action(
      async (options: {
        destination: string;
        config?: string;
        timeout?: string;
        count?: string;
        fromStart?: boolean;
      }) => {
        process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
        const timeoutSeconds = parseOptionalDecimalFlag(options.timeout, '--timeout', {
          min: 0,
          minExclusive: true,
        });
        const count = parseOptionalWholeFlag(options.count, '--count', { min: 1 });
        const config = loadConfigFile(configPathFrom(options.config));
        const destination = config.destinations.find((d) => d.id === options.destination);
        if (destination === undefined) {
          throw new UsageError(
            `--destination ${options.destination}: no such destination in the config (destinations: ${config.destinations.map((d) => d.id).join(', ')})`,
          );
        }
        // The stream lives in the destination's region; AWS_ENDPOINT_URL_KINESIS (local up) wins.
        const client = new KinesisClient({
          region: destination.region,
          // HTTP/1.1 works against AWS and the emulators alike.
          requestHandler: new NodeHttpHandler(),
        });
        const abort = new AbortController();
        const onSignal = () => abort.abort();
        process.once('SIGINT', onSignal);
        process.once('SIGTERM', onSignal);
        const timer =
          timeoutSeconds === undefined ? undefined : setTimeout(() => abort.abort(), timeoutSeconds * 1000);
        let printed = 0;
        try {
          for await (const record of tailStream(client, destination.streamName, {
            fromStart: options.fromStart ?? false,
            signal: abort.signal,
          })) {
            process.stdout.write(
              `${stringifyExact({ partitionKey: record.partitionKey, sequenceNumber: record.sequenceNumber, data: record.data })}\n`,
            );
            printed++;
            if (count !== undefined && printed >= count) break;
          }
        } finally {
          clearTimeout(timer);
          process.off('SIGINT', onSignal);
          process.off('SIGTERM', onSignal);
          client.destroy();
        }
        process.stderr.write(`${printed} record(s) from ${destination.streamName}\n`);
      },
    );
}
