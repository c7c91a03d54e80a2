// Loaded into the node programs `pcapkit capture -- CMD` runs (NODE_OPTIONS=--require): logs
// the TLS secrets of every connection the program makes or accepts to $PCAPKIT_KEYLOG, each
// line written before the handshake goes on. Node's own --tls-keylog appends them with
// asynchronous writes, so a program that ends with process.exit() can lose them all (seen: a
// capture whose key log stayed empty).
import * as net from 'node:net';
import tls = require('node:tls');
import { startKeyLog } from './keylog';

const file = process.env.PCAPKIT_KEYLOG;
if (file) {
  // Client connections: every tls.connect (https, fetch and user code all go through it).
  const log = startKeyLog(file);
  // Server connections: a TLS server (https too) reports its connections' secrets on its own
  // 'keylog' event; listen to it on every one that starts listening.
  const listen = net.Server.prototype.listen;
  const logged = new WeakSet<object>();
  (tls.Server.prototype as { listen: unknown }).listen = function (this: tls.Server, ...args: unknown[]) {
    if (!logged.has(this)) {
      logged.add(this);
      this.on('keylog', (line: Buffer) => log.append(line));
    }
    return (listen as (...a: unknown[]) => net.Server).apply(this, args);
  };
}
