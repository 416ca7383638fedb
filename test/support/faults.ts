import { EspFault } from '../../src/esp/faults.js';

/** Runs `run` and returns the ESP fault it throws; fails the test when it throws nothing or another error. */
export function faultOf(run: () => unknown): EspFault {
  try {
    run();
  } catch (error) {
    if (error instanceof EspFault) return error;
    throw error;
  }
  throw new Error('expected an ESP fault, but nothing was thrown');
}
