import express from 'express';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { bodyProblem, type BodyProblem } from '../../src/http/body-errors.js';

/** A real body-parser error, as the app's error handler receives it. */
async function problemOf(body: string, contentType = 'application/json'): Promise<BodyProblem | undefined> {
  let problem: BodyProblem | undefined;
  const app = express();
  app.post('/', express.json({ limit: 200 }), (_request, response) => void response.end());
  app.use((error: unknown, _request: express.Request, response: express.Response, _next: express.NextFunction) => {
    problem = bodyProblem(error);
    response.status(problem?.status ?? 500).end();
  });
  await request(app).post('/').set('content-type', contentType).send(body);
  return problem;
}

describe('body-parser errors, described without the body', () => {
  it('names the line and column of a JSON syntax error, not the text around it', async () => {
    const problem = await problemOf('{"a": 1,\n "ClientId": +15557020411}');
    expect(problem).toEqual({ status: 400, type: 'entity.parse.failed', message: 'the body is not valid JSON: unexpected character at line 2 column 14', line: 2, column: 14 });
  });

  it('says a scalar document is refused, too large bodies and bad charsets by their limit and type', async () => {
    expect((await problemOf('"+15557020411"'))?.message).toBe('the body must be a JSON object or array');
    expect(await problemOf(`{"a":"${'x'.repeat(300)}"}`)).toEqual({ status: 413, type: 'entity.too.large', message: 'the body is larger than the configured limit' });
    expect(await problemOf('{}', 'application/json; charset=klingon')).toEqual({ status: 415, type: 'charset.unsupported', message: 'the charset in Content-Type is not supported' });
  });

  it('leaves other errors to the unexpected-error path', () => {
    expect(bodyProblem(new TypeError('x'))).toBeUndefined();
    expect(bodyProblem(Object.assign(new Error('x'), { type: 'something.else', status: 400 }))).toBeUndefined();
  });
});
