import { Writable } from 'node:stream';
import { expect, it } from '@jest/globals';
import { pino } from 'pino';
import { loggerOptions } from './logger.js';

it('never writes passwords, password hashes or bearer tokens to a log line', () => {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  const log = pino({ ...loggerOptions, level: 'info' }, sink);
  log.info({ password: 'hunter22-secret' }, 'a');
  log.info({ input: { email: 'a@b.c', password: 'hunter22-secret' } }, 'b');
  log.info({ variables: { input: { password: 'hunter22-secret' } } }, 'c');
  log.info({ row: { id: 1, password_hash: '$argon2id$v=19$secret-hash' } }, 'd');
  log.info({ req: { headers: { authorization: 'Bearer eyJsecret.token.here' } } }, 'e');
  expect(lines).toHaveLength(5);
  const all = lines.join('');
  expect(all).not.toMatch(/hunter22|secret-hash|eyJsecret/);
  expect(all.match(/\[redacted\]/g)).toHaveLength(5);
  expect(all).toContain('a@b.c');
});
