// A throwaway HTTPS server on 127.0.0.1 with a self-signed certificate made by openssl.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tool } from './skips.mjs';

/** false when openssl runs (it makes the throwaway certificate), otherwise the reason. */
export const opensslSkip = tool('openssl', { args: ['version'], status: true });

export async function startHttpsServer() {
  const dir = mkdtempSync(join(tmpdir(), 'pcapkit-cert-'));
  const key = join(dir, 'key.pem');
  const cert = join(dir, 'cert.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=localhost'], { stdio: 'ignore' });
  const server = https.createServer({ key: readFileSync(key), cert: readFileSync(cert) }, (req, res) => res.end(`you asked for ${req.url}`));
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const port = server.address().port;
  return {
    port,
    /** The certificate and its key (PEM files), e.g. for another server in a child process. */
    keyPath: key,
    certPath: cert,
    url: (p) => `https://127.0.0.1:${port}${p}`,
    /** GET with https.get on a fresh connection; resolves with the body. */
    get: (p) =>
      new Promise((resolve, reject) => {
        https
          .get({ host: '127.0.0.1', port, path: p, rejectUnauthorized: false, agent: false }, (res) => {
            let body = '';
            res.setEncoding('utf8');
            res.on('data', (d) => (body += d));
            res.on('end', () => resolve(body));
          })
          .on('error', reject);
      }),
    close: () => {
      server.closeAllConnections?.();
      server.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
