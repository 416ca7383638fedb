/**
 * The gateway as bench/esp-throughput measures it: the real app (API role) on the sample
 * configuration and templates. Prints its port.
 */
import { loadConfigFile, SAMPLE_CONFIG_PATH } from '../../src/config/load.js';
import { createBenchGateway, serveForBench } from './serve.js';

serveForBench(await createBenchGateway(loadConfigFile(SAMPLE_CONFIG_PATH), 'igbench-gw'));
