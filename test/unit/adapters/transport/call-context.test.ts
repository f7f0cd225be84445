import assert from 'node:assert/strict';
import { Slots, openCall, raceSignal } from '../../../../adapters/transport/call-context';
import { TransportErrorCode } from '../../../../adapters/transport/transport-errors';

describe('call-context', () => {
  describe('openCall', () => {
    it('names a deadline TIMEOUT', async () => {
      const call = openCall({ lifetime: new AbortController().signal, timeoutMs: 20, partnerId: 'B' });
      await new Promise((resolve) => setTimeout(resolve, 40));
      assert.equal(call.failure()?.code, TransportErrorCode.TIMEOUT);
      assert.equal(call.failure()?.transient, true);
      call.dispose();
    });

    it("names the caller's abort ABORTED, keeping its reason as the cause", () => {
      const caller = new AbortController();
      const call = openCall({
        lifetime: new AbortController().signal,
        signal: caller.signal,
        timeoutMs: 1000,
        partnerId: 'B',
      });
      const reason = new Error('operator');
      caller.abort(reason);
      assert.equal(call.failure()?.code, TransportErrorCode.ABORTED);
      assert.equal(call.failure()?.cause, reason);
      call.dispose();
    });

    it('names a stopped transport STOPPED, also when it was stopped before the call', () => {
      const lifetime = new AbortController();
      lifetime.abort();
      const call = openCall({ lifetime: lifetime.signal, timeoutMs: 1000, partnerId: 'B' });
      assert.equal(call.failure()?.code, TransportErrorCode.STOPPED);
      call.dispose();
    });

    it('stays quiet after dispose()', async () => {
      const call = openCall({ lifetime: new AbortController().signal, timeoutMs: 10, partnerId: 'B' });
      call.dispose();
      await new Promise((resolve) => setTimeout(resolve, 30));
      assert.equal(call.failure(), undefined);
    });
  });

  describe('raceSignal', () => {
    it('rejects with the reason when the signal fires first', async () => {
      const controller = new AbortController();
      const pending = raceSignal(new Promise(() => undefined), controller.signal);
      controller.abort(new Error('gone'));
      await assert.rejects(pending, /gone/);
    });
  });

  describe('Slots', () => {
    it('hands out at most `size` slots and queues the rest in order', async () => {
      const slots = new Slots(2);
      const signal = new AbortController().signal;
      await slots.acquire(signal);
      await slots.acquire(signal);
      const order: number[] = [];
      const third = slots.acquire(signal).then(() => order.push(3));
      const fourth = slots.acquire(signal).then(() => order.push(4));
      await new Promise((resolve) => setImmediate(resolve));
      assert.deepEqual(order, []);
      slots.release();
      slots.release();
      await Promise.all([third, fourth]);
      assert.deepEqual(order, [3, 4]);
    });

    it('drops an aborted waiter without losing a slot', async () => {
      const slots = new Slots(1);
      await slots.acquire(new AbortController().signal);
      const controller = new AbortController();
      const waiting = slots.acquire(controller.signal);
      controller.abort(new Error('cancelled'));
      await assert.rejects(waiting, /cancelled/);
      slots.release();
      await slots.acquire(new AbortController().signal); // the one slot is free again
    });
  });
});
