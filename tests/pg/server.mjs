// PGlite (PostgreSQL compiled to WebAssembly) with pgvector, served on a Unix socket
// over PostgreSQL's wire protocol, one connection at a time: the test server for the
// shared store's vector paths (Debian 12 ships no pgvector). Prints "ready" once
// listening; exits on SIGTERM, SIGINT or when stdin closes.
//   node server.mjs SOCKET_DIR
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { vector } from '@electric-sql/pglite-pgvector';

const dir = process.argv[2];
if (!dir) {
  console.error('usage: node server.mjs SOCKET_DIR');
  process.exit(2);
}
const db = await PGlite.create({ extensions: { vector } });
const server = new PGLiteSocketServer({ db, path: `${dir}/.s.PGSQL.5432` });
await server.start();
console.log('ready');
const stop = async () => {
  await server.stop();
  await db.close();
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
process.stdin.on('end', stop);
process.stdin.resume();
