// Well-known ports the decoder follows into an application layer.
/** DNS, mDNS and LLMNR all carry DNS messages. */
export function isDnsPort(port: number): boolean {
  return port === 53 || port === 5353 || port === 5355;
}
