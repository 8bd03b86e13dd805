# An asyncio program whose coroutines do the work: `crunch` (pure Python between awaits) and
# `idle_waiter` (only awaits). About 0.6 s of CPU.
import asyncio
import time


async def crunch(rounds):
    total = 0
    for _ in range(rounds):
        for i in range(20000):
            total += i % 7
        await asyncio.sleep(0)
    return total


async def idle_waiter():
    await asyncio.sleep(0.2)


async def main():
    start = time.process_time()
    rounds = 0
    while time.process_time() - start < 0.6:
        await asyncio.gather(crunch(5), idle_waiter())
        rounds += 1
    print('rounds', rounds > 0)


asyncio.run(main())
