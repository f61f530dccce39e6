"""A TCP proxy that adds a fixed one-way delay, so a local server answers like a remote one.

    python benchmarks/latency_proxy.py --delay-ms 5 [--upstream 127.0.0.1:5432] [--port 0]

Prints ``listening on PORT`` once it accepts connections, then forwards every connection to
the upstream server. Each chunk read from either side is written to the other side ``delay``
later (arrival time + delay; order kept; chunks are not held behind each other, so the link has
latency but no bandwidth limit): a round trip costs 2 × delay more than on the loopback, as a
server ``delay`` away would. Used by ``benchmarks/fleet.py --latency-ms``; stops on SIGTERM.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys

CHUNK = 65536


async def _pump(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, delay: float) -> None:
    """Copy reader → writer, each chunk delivered ``delay`` seconds after it arrived."""
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[tuple[float, bytes]] = asyncio.Queue()

    async def deliver() -> None:
        while True:
            due, data = await queue.get()
            if not data:
                break
            wait = due - loop.time()
            if wait > 0:
                await asyncio.sleep(wait)
            writer.write(data)
            await writer.drain()
        if writer.can_write_eof():
            writer.write_eof()

    sender = asyncio.create_task(deliver())
    try:
        while True:
            data = await reader.read(CHUNK)
            queue.put_nowait((loop.time() + delay, data))
            if not data:
                break
        await sender
    except (ConnectionError, OSError):
        sender.cancel()
    finally:
        writer.close()


async def _serve(port: int, host: str, up_port: int, delay: float) -> None:
    async def handle(c_reader: asyncio.StreamReader, c_writer: asyncio.StreamWriter) -> None:
        try:
            u_reader, u_writer = await asyncio.open_connection(host, up_port)
        except OSError:
            c_writer.close()
            return
        await asyncio.gather(_pump(c_reader, u_writer, delay), _pump(u_reader, c_writer, delay),
                             return_exceptions=True)

    server = await asyncio.start_server(handle, "127.0.0.1", port)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    print(f"listening on {server.sockets[0].getsockname()[1]}", flush=True)
    async with server:
        await stop.wait()


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--delay-ms", type=float, required=True, help="one-way delay added to every chunk")
    ap.add_argument("--upstream", default="127.0.0.1:5432", metavar="HOST:PORT")
    ap.add_argument("--port", type=int, default=0, help="port to listen on (0: any free port)")
    a = ap.parse_args(argv)
    host, _, up_port = a.upstream.rpartition(":")
    asyncio.run(_serve(a.port, host or "127.0.0.1", int(up_port), a.delay_ms / 1000))


if __name__ == "__main__":
    main(sys.argv[1:])
