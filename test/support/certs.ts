import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const openssl = (args: string[], cwd: string) => execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

/** A CA, a server certificate for 127.0.0.1/localhost, and client certificates by CN: made with the openssl CLI. */
export class TestPki {
  private constructor(readonly dir: string, private readonly caName: string) {}

  static create(caName = 'ca'): TestPki {
    const dir = mkdtempSync(path.join(tmpdir(), 'ucid-pki-'));
    openssl(['req', '-x509', ...EC, '-keyout', `${caName}.key`, '-out', `${caName}.crt`, '-days', '2', '-subj', `/CN=UCID test ${caName}`], dir);
    const pki = new TestPki(dir, caName);
    writeFileSync(path.join(dir, 'server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n');
    pki.issue('server', 'localhost', 'server.ext');
    return pki;
  }

  /** Issues `<name>.crt`/`<name>.key` with the given CN; returns the file paths. */
  issue(name: string, cn: string, extfile?: string): { cert: string; key: string } {
    if (!extfile) {
      extfile = `${name}.ext`;
      writeFileSync(path.join(this.dir, extfile), 'extendedKeyUsage=clientAuth\n');
    }
    openssl(['req', ...EC, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${cn}`], this.dir);
    openssl(['x509', '-req', '-in', `${name}.csr`, '-CA', `${this.caName}.crt`, '-CAkey', `${this.caName}.key`, '-CAcreateserial',
      '-out', `${name}.crt`, '-days', '2', '-extfile', extfile], this.dir);
    return { cert: this.file(`${name}.crt`), key: this.file(`${name}.key`) };
  }

  file(name: string): string {
    return path.join(this.dir, name);
  }

  get ca(): string {
    return this.file(`${this.caName}.crt`);
  }

  read(name: string): Buffer {
    return readFileSync(this.file(name));
  }
}
