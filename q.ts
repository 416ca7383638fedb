import { Redis } from 'ioredis';
import { Queue, Worker } from 'bullmq';
const conn = new Redis('redis://127.0.0.1:6379', { maxRetriesPerRequest: null });
const q = new Queue('t1', { connection: conn, prefix: 'tmpx' });
const w = new Worker('t1', async (job) => { console.log('got', job.id, job.data); return 1; }, { connection: new Redis({maxRetriesPerRequest: null}), prefix: 'tmpx' });
await q.add('x', { a: 1 }, { jobId: 'abc' + Date.now() });
await new Promise(r => setTimeout(r, 500));
await w.close(); await q.obliterate({force:true}); await q.close(); conn.disconnect();
