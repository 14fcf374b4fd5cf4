#!/usr/bin/env python3
"""A TCP proxy that delays every byte by a fixed time in each direction: a slow network in front of a broker.

Usage: delay_proxy.py --listen PORT --target HOST:PORT --delay-ms ONE_WAY_MS

scripts/demo-server puts it in front of the broker's DELAYED listener (scripts/kafka, single node): that listener
advertises the proxy's port in its Metadata responses, so a client that bootstraps through the proxy keeps using
it for every connection, without the proxy having to rewrite anything. With --delay-ms 25 every request/response
round trip takes 50 ms longer, the "slow broker" of the seed's experiment.

Bytes keep their order and their timing: each chunk read is written out `delay` after it arrived (chunks that are
due together are written together). Back-pressure: a direction holding more than 8 MiB stops reading until it
drains. Standard library only; Ctrl-C or SIGTERM stops it.
"""
import argparse
import asyncio
import collections
import signal
import socket

MAX_HELD = 8 << 20


async def pump(reader, writer, delay):
    loop = asyncio.get_running_loop()
    held = collections.deque()  # (due time, bytes)
    held_bytes = 0
    more = asyncio.Event()
    room = asyncio.Event()
    room.set()
    done = False

    async def read_side():
        nonlocal held_bytes, done
        try:
            while True:
                await room.wait()
                data = await reader.read(65536)
                if not data:
                    break
                held.append((loop.time() + delay, data))
                held_bytes += len(data)
                if held_bytes > MAX_HELD:
                    room.clear()
                more.set()
        except (ConnectionError, OSError):
            pass
        finally:
            done = True
            more.set()

    async def write_side():
        nonlocal held_bytes
        try:
            while True:
                if not held:
                    if done:
                        break
                    more.clear()
                    await more.wait()
                    continue
                wait = held[0][0] - loop.time()
                if wait > 0:
                    await asyncio.sleep(wait)
                now = loop.time()
                chunks = []
                while held and held[0][0] <= now:
                    chunks.append(held.popleft()[1])
                n = sum(map(len, chunks))
                writer.write(b"".join(chunks))
                await writer.drain()
                held_bytes -= n
                if held_bytes <= MAX_HELD:
                    room.set()
        except (ConnectionError, OSError):
            pass
        finally:
            writer.close()

    await asyncio.gather(read_side(), write_side())


async def serve(args):
    host, port = args.target.rsplit(":", 1)
    delay = args.delay_ms / 1000.0

    async def on_client(client_reader, client_writer):
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection(host, int(port))
        except OSError:
            client_writer.close()
            return
        for w in (client_writer, upstream_writer):
            sock = w.get_extra_info("socket")
            if sock is not None:
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        await asyncio.gather(pump(client_reader, upstream_writer, delay), pump(upstream_reader, client_writer, delay))

    server = await asyncio.start_server(on_client, "127.0.0.1", args.listen)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    print(f"delay_proxy: 127.0.0.1:{args.listen} -> {args.target}, +{args.delay_ms} ms each way", flush=True)
    async with server:
        await stop.wait()


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--listen", type=int, required=True)
    p.add_argument("--target", required=True)
    p.add_argument("--delay-ms", type=float, required=True)
    asyncio.run(serve(p.parse_args()))


if __name__ == "__main__":
    main()
