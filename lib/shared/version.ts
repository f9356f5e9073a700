/** TCPChat's software version, shown by `--version` and in the greeting. */
export const VERSION = "0.1.0";
